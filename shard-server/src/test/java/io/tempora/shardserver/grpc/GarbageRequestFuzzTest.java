package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * 10,000 garbage requests against an in-process shard (issue 4, "Bad input"): half random bytes as
 * messages through a raw byte channel, half random but valid protobuf of each method's request type
 * with random field values. No call may end INTERNAL or UNKNOWN, the server keeps answering, and a
 * rejected write changes nothing (the last transaction stays put).
 */
class GarbageRequestFuzzTest {
  private static final int REQUESTS = 10_000;
  private static final long SEED = 20261121L;
  private static final Set<String> WRITES =
      Set.of("Ingest", "IngestStream", "Delete", "SetOntology");
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private final Random random = new Random(SEED);
  private InMemoryStore store;
  private Engine engine;
  private ShardServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    store = new InMemoryStore();
    engine = new Engine(store, EngineConfig.defaults());
    String name = "fuzz-" + UUID.randomUUID();
    ShardServerConfig config =
        ShardServerConfig.defaults("127.0.0.1", 0)
            .withHealthPort(-1)
            .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
    server = ShardServer.start(InProcessServerBuilder.forName(name), null, config, engine);
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    store.close();
  }

  @Test
  void fuzz_tenThousandGarbageRequests_noInternalNoUnknownNoStateChangeOnRejection()
      throws Exception {
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    for (var m : TemporaServiceGrpc.getServiceDescriptor().getMethods()) {
      methods.add(m);
    }
    Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
    for (int i = 0; i < REQUESTS; i++) {
      MethodDescriptor<?, ?> m = methods.get(random.nextInt(methods.size()));
      byte[] body = i % 2 == 0 ? randomBytes() : randomMessage(requestType(m)).toByteArray();
      long txBefore = engine.reader().lastTx();
      Status status = call(m, body);
      codes.merge(status.getCode(), 1, Integer::sum);

      assertThat(status.getCode())
          .as("request %d to %s: %s", i, m.getBareMethodName(), status)
          .isNotIn(Status.Code.INTERNAL, Status.Code.UNKNOWN);
      if (!status.isOk() && WRITES.contains(m.getBareMethodName())) {
        assertThat(engine.reader().lastTx())
            .as("rejected %s (%s) changed nothing", m.getBareMethodName(), status)
            .isEqualTo(txBefore);
      }
    }
    System.out.println("fuzz: " + REQUESTS + " garbage requests, status codes " + codes);
    assertThat(codes).containsKey(Status.Code.INVALID_ARGUMENT);
    IngestRequest sane =
        IngestRequest.newBuilder()
            .addRecords(
                Record.newBuilder()
                    .setIdentity(
                        Identity.newBuilder().setEntityType("t").setPerspective("p").setUid("sane"))
                    .addDescriptors(
                        io.tempora.proto.v1.Descriptor.newBuilder().setAttr("a").setValue("v")))
            .build();
    assertThat(TemporaServiceGrpc.newBlockingStub(channel).ingest(sane).getItemsCount())
        .as("still serving")
        .isEqualTo(1);
  }

  private static Descriptor requestType(MethodDescriptor<?, ?> m) {
    var marshaller = (MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller();
    return ((Message) marshaller.getMessagePrototype()).getDescriptorForType();
  }

  /** Sends one message and half-closes; answers the call's status. */
  private Status call(MethodDescriptor<?, ?> m, byte[] body) throws Exception {
    MethodDescriptor<byte[], byte[]> raw = m.toBuilder(BYTES, BYTES).build();
    ClientCall<byte[], byte[]> call =
        channel.newCall(raw, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    CompletableFuture<Status> done = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            done.complete(status);
          }
        },
        new Metadata());
    call.request(2);
    call.sendMessage(body);
    call.halfClose();
    return done.get(60, TimeUnit.SECONDS);
  }

  private byte[] randomBytes() {
    byte[] b = new byte[random.nextInt(64)];
    random.nextBytes(b);
    return b;
  }

  private Message randomMessage(Descriptor type) {
    return randomMessage(type, 0);
  }

  private Message randomMessage(Descriptor type, int depth) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (FieldDescriptor f : type.getFields()) {
      if (random.nextInt(3) == 0
          || (depth > 3 && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE)) {
        continue;
      }
      if (f.isRepeated()) {
        int n = random.nextInt(4);
        for (int j = 0; j < n; j++) {
          b.addRepeatedField(f, value(f, depth));
        }
      } else {
        b.setField(f, value(f, depth));
      }
    }
    return b.build();
  }

  private Object value(FieldDescriptor f, int depth) {
    return switch (f.getJavaType()) {
      case STRING -> randomString();
      case INT -> random.nextInt(5) == 0 ? random.nextInt() : random.nextInt(10) - 2;
      case LONG -> random.nextInt(5) == 0 ? random.nextLong() : (long) random.nextInt(500) - 50;
      case BOOLEAN -> random.nextBoolean();
      case FLOAT -> random.nextFloat();
      case DOUBLE -> random.nextDouble();
      case BYTE_STRING -> ByteString.copyFrom(randomBytes());
      case ENUM -> {
        var values = f.getEnumType().getValues();
        yield values.get(random.nextInt(values.size()));
      }
      case MESSAGE -> randomMessage(f.getMessageType(), depth + 1);
    };
  }

  private String randomString() {
    return switch (random.nextInt(8)) {
      case 0 -> "";
      case 1 -> "x".repeat(5000);
      case 2 -> "\u0000\uD83D\uDE00é";
      case 3 -> Long.toString(random.nextLong());
      default ->
          List.of("a", "b", "email", "name", "person", "crm", "v1", "x@y").get(random.nextInt(8));
    };
  }
}
