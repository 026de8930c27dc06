package io.tempora.shardserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ops.ShardMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ShardServer on real loopback sockets: health on both ports, message limit, drain on close. */
class ShardServerTest {
  private static final int MAX_MESSAGE = 64 * 1024;

  private InMemoryStore store;
  private ShardServer server;
  private ManagedChannel main;
  private ManagedChannel health;

  @BeforeEach
  void start() {
    store = new InMemoryStore();
    ShardServerConfig config =
        ShardServerConfig.defaults("127.0.0.1", 0)
            .withMaxInboundMessageBytes(MAX_MESSAGE)
            .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
    server = ShardServer.start(config, new Engine(store, EngineConfig.defaults()));
    main = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    health =
        NettyChannelBuilder.forAddress("127.0.0.1", server.healthPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    main.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    health.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    store.close();
  }

  private static ServingStatus check(ManagedChannel channel, String service) {
    return HealthGrpc.newBlockingStub(channel)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  @Test
  void start_readinessAndLiveness_areServingOnBothPorts() {
    assertThat(server.port()).isPositive();
    assertThat(server.healthPort()).isPositive().isNotEqualTo(server.port());
    for (String service : ShardServer.READINESS_SERVICES) {
      assertThat(check(main, service)).isEqualTo(ServingStatus.SERVING);
      assertThat(check(health, service)).isEqualTo(ServingStatus.SERVING);
    }
    assertThat(check(health, ShardServer.LIVENESS_SERVICE)).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void health_unknownService_isNotFound() {
    assertThatThrownBy(() -> check(health, "no.such.Service"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void healthPort_servesNothingButHealth() {
    assertThatThrownBy(
            () ->
                TemporaServiceGrpc.newBlockingStub(health)
                    .ingest(IngestRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
  }

  @Test
  void ingest_messageOverLimit_isResourceExhaustedAndServerStaysServing() {
    Record big =
        Record.newBuilder()
            .setIdentity(Identity.newBuilder().setEntityType("t").setPerspective("p").setUid("u"))
            .addDescriptors(
                Descriptor.newBuilder().setAttr("a").setValue("x".repeat(MAX_MESSAGE + 1)))
            .build();

    assertThatThrownBy(
            () ->
                TemporaServiceGrpc.newBlockingStub(main)
                    .ingest(IngestRequest.newBuilder().addRecords(big).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    assertThat(check(main, "")).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void open_beforeServe_readinessNotServingLivenessServing() throws Exception {
    ShardServer recovering =
        ShardServer.open(
            ShardServerConfig.defaults("127.0.0.1", 0).withShutdown(Duration.ZERO, Duration.ZERO),
            new ShardMetrics(0, "test"));
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", recovering.healthPort()).usePlaintext().build();
    try {
      assertThat(check(ch, "")).isEqualTo(ServingStatus.NOT_SERVING);
      assertThat(check(ch, ShardServer.LIVENESS_SERVICE)).isEqualTo(ServingStatus.SERVING);
      assertThat(recovering.readinessProblem()).startsWith("recovering");
      assertThat(recovering.port()).as("main port not bound yet").isEqualTo(-1);

      recovering.serve(new Engine(new InMemoryStore(), EngineConfig.defaults()));

      assertThat(check(ch, "")).isEqualTo(ServingStatus.SERVING);
      assertThat(recovering.readinessProblem()).isNull();
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      recovering.close();
    }
  }

  @Test
  void ingest_overRecordLimit_isInvalidArgumentNamingTheLimit() {
    Engine limited =
        new Engine(new InMemoryStore(), new EngineConfig(0, new Limits(1, 10, 100, 100)));
    ShardServer small =
        ShardServer.start(
            ShardServerConfig.defaults("127.0.0.1", 0).withShutdown(Duration.ZERO, Duration.ZERO),
            limited);
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", small.port()).usePlaintext().build();
    try {
      Record r =
          Record.newBuilder()
              .setIdentity(Identity.newBuilder().setEntityType("t").setPerspective("p").setUid("u"))
              .addDescriptors(Descriptor.newBuilder().setAttr("a").setValue("v"))
              .build();
      Record r2 = r.toBuilder().setIdentity(r.getIdentity().toBuilder().setUid("u2")).build();
      assertThatThrownBy(
              () ->
                  TemporaServiceGrpc.newBlockingStub(ch)
                      .ingest(IngestRequest.newBuilder().addRecords(r).addRecords(r2).build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("exceeds limit 1");
              });
    } finally {
      ch.shutdownNow();
      small.close();
    }
  }

  @Test
  void markNotServing_readinessTurnsNotServing_livenessStays() {
    server.markNotServing();

    assertThat(check(health, "")).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(check(health, ShardServer.LIVENESS_SERVICE)).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void writesRefused_thenResumed_readinessFollowsAndNamesTheReason() {
    server.writesRefused("write failed: No space left on device");

    assertThat(check(health, "")).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(check(health, ShardServer.LIVENESS_SERVICE)).isEqualTo(ServingStatus.SERVING);
    assertThat(server.readinessProblem())
        .isEqualTo("writes refused: write failed: No space left on device");

    server.writesResumed();

    assertThat(check(health, "")).isEqualTo(ServingStatus.SERVING);
    assertThat(server.readinessProblem()).isNull();
  }

  @Test
  void reflection_listServices_namesTemporaServiceAndHealth() throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(main)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse value) {
                    answer.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());

    List<String> services =
        answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
            .map(ServiceResponse::getName)
            .toList();
    requests.onCompleted();

    assertThat(services).contains("tempora.v1.TemporaService", "grpc.health.v1.Health");
  }
}
