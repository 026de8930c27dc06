package io.tempora.shardserver.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bounded ingest queue: a handler blocked on a latch holds the only permit, so the next ingest
 * is shed deterministically; reads are never counted.
 */
class IngestAdmissionTest {
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final ShardMetrics metrics = new ShardMetrics(0, "test");
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private Server server;
  private ManagedChannel channel;

  /** Ingest blocks until released; GetStats answers at once. */
  private final class BlockingService extends TemporaServiceGrpc.TemporaServiceImplBase {
    @Override
    public void ingest(IngestRequest req, StreamObserver<IngestResponse> out) {
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      out.onNext(IngestResponse.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public void getStats(GetStatsRequest req, StreamObserver<GetStatsResponse> out) {
      out.onNext(GetStatsResponse.getDefaultInstance());
      out.onCompleted();
    }
  }

  private TemporaServiceGrpc.TemporaServiceBlockingStub start(int requests, long bytes)
      throws IOException {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .executor(pool)
            .addService(
                ServerInterceptors.intercept(
                    new BlockingService(), new IngestAdmission(requests, bytes, metrics)))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
    return TemporaServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws InterruptedException {
    release.countDown();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    pool.shutdownNow();
  }

  private static IngestRequest request(String value) {
    return IngestRequest.newBuilder()
        .addRecords(
            Record.newBuilder()
                .setIdentity(
                    Identity.newBuilder().setEntityType("t").setPerspective("p").setUid("u"))
                .addDescriptors(Descriptor.newBuilder().setAttr("a").setValue(value)))
        .build();
  }

  @Test
  void ingest_queueFull_isResourceExhaustedWithPushbackAndReadsStillServed() throws Exception {
    var stub = start(1, 1 << 20);
    Future<IngestResponse> first = pool.submit(() -> stub.ingest(request("x")));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(() -> stub.ingest(request("y")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription())
                  .contains("ingest queue full")
                  .contains("limits.ingest_queue_requests");
              assertThat(
                      e.getTrailers()
                          .get(
                              Metadata.Key.of(
                                  "grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER)))
                  .isNotNull();
            });
    assertThat(stub.getStats(GetStatsRequest.getDefaultInstance())).isNotNull();

    release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS)).isNotNull();
    assertThat(stub.ingest(request("z"))).as("permit released after the call").isNotNull();
    assertThat(metrics.requestsShed.labelValues("ingest_queue_full").get()).isEqualTo(1.0);
  }

  @Test
  void ingest_overByteBudget_isResourceExhaustedNamingTheLimit() throws Exception {
    var stub = start(10, 1024);
    release.countDown();

    assertThatThrownBy(() -> stub.ingest(request("v".repeat(2000))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription()).contains("limits.ingest_queue_bytes");
            });
    assertThat(stub.ingest(request("small"))).as("budget returned").isNotNull();
  }
}
