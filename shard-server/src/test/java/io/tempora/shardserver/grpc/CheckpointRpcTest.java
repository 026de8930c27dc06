package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.store.StoreException;
import io.tempora.persistence.CheckpointConfig;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.CheckpointScheduler;
import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.persistence.rocks.ShardCheckpoints;
import io.tempora.proto.v1.CheckpointRequest;
import io.tempora.proto.v1.CheckpointResponse;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import io.tempora.shardserver.ops.ShardMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Checkpoint RPC on a real RocksDB store, in-process gRPC. */
class CheckpointRpcTest {
  @TempDir Path tmp;

  @Test
  void checkpoint_afterIngest_answersNameDirTxAndTime() {
    Instant now = Instant.parse("2026-11-21T10:15:30Z");
    Path data = tmp.resolve("data");
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (RocksShardStore store =
        RocksShardStore.open(data, StorageConfig.defaults(0).withSmallCaches())) {
      CheckpointScheduler scheduler =
          new CheckpointScheduler(
              store,
              new CheckpointConfig(Duration.ZERO, 2),
              executor,
              Clock.fixed(now, ZoneOffset.UTC));
      try (Serving s = new Serving(store, scheduler::checkpointNow)) {
        s.stub().ingest(IngestRequest.newBuilder().addRecords(record("1")).build());
        s.stub().ingest(IngestRequest.newBuilder().addRecords(record("2")).build());

        CheckpointResponse r = s.stub().checkpoint(CheckpointRequest.getDefaultInstance());

        assertThat(r.getLastTx()).isEqualTo(2);
        assertThat(r.getName()).isEqualTo(String.format("%020d-20261121T101530Z", 2));
        assertThat(Path.of(r.getPath()))
            .isEqualTo(data.resolve(ShardCheckpoints.DIR).resolve(r.getName()))
            .isDirectory();
        assertThat(Path.of(r.getPath()).resolve(ShardCheckpoints.MARKER)).isRegularFile();
        assertThat(r.getCreatedUnixSeconds()).isEqualTo(now.getEpochSecond());
      }
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void checkpoint_failing_answersUnavailableWithTheReason() throws Exception {
    Path data = tmp.resolve("data");
    Files.createDirectories(data);
    try (RocksShardStore store =
            RocksShardStore.open(data, StorageConfig.defaults(0).withSmallCaches());
        Serving s =
            new Serving(
                store,
                () -> {
                  throw new StoreException("checkpoint: disk full");
                })) {
      assertThatThrownBy(() -> s.stub().checkpoint(CheckpointRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getStatus().getDescription()).contains("disk full");
              });
    }
  }

  /** A shard server on an in-process transport serving {@code store} with {@code checkpointer}. */
  private static final class Serving implements AutoCloseable {
    private final ShardServer server;
    private final ManagedChannel channel;

    Serving(RocksShardStore store, Checkpointer checkpointer) {
      String name = InProcessServerBuilder.generateName();
      ShardServerConfig config =
          ShardServerConfig.defaults("127.0.0.1", 0)
              .withHealthPort(-1)
              .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
      server =
          ShardServer.open(
              InProcessServerBuilder.forName(name), null, config, new ShardMetrics(0, "test"));
      server.serve(
          new Engine(store, EngineConfig.defaults()), new InMemoryHomeDirectory(), checkpointer);
      channel = InProcessChannelBuilder.forName(name).build();
    }

    TemporaServiceGrpc.TemporaServiceBlockingStub stub() {
      return TemporaServiceGrpc.newBlockingStub(channel);
    }

    @Override
    public void close() {
      channel.shutdownNow();
      server.close();
    }
  }

  private static Record record(String uid) {
    return Record.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue(uid + "@x"))
        .build();
  }
}
