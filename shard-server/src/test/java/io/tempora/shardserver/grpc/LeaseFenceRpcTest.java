package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.tempora.proto.internal.v1.AckDirtyRequest;
import io.tempora.proto.internal.v1.AcquireLeaseRequest;
import io.tempora.proto.internal.v1.AcquireLeaseResponse;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ChangeFeedStateResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * AcquireLease, ChangeFeedState, AckDirty and the epoch fence of a shard through in-process gRPC
 * (DISTRIBUTED.md §4 step 0, DS-T5: a former lease holder's writes are rejected).
 */
class LeaseFenceRpcTest {
  private InProcessShard shard;
  private ShardGrpc.ShardBlockingStub internal;
  private TemporaServiceGrpc.TemporaServiceBlockingStub tempora;

  @BeforeEach
  void start() {
    shard = InProcessShard.start(c -> c);
    internal = shard.internal;
    tempora = shard.tempora;
  }

  @AfterEach
  void stop() {
    shard.close();
  }

  private static Metadata epoch(long e) {
    Metadata m = new Metadata();
    m.put(LeaseFenceInterceptor.EPOCH_HEADER, Long.toString(e));
    return m;
  }

  private TemporaServiceGrpc.TemporaServiceBlockingStub fenced(long e) {
    return tempora.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(epoch(e)));
  }

  private static IngestRequest ingest(String uid) {
    return IngestRequest.newBuilder()
        .addRecords(
            Record.newBuilder()
                .setIdentity(
                    Identity.newBuilder().setEntityType("person").setPerspective("p").setUid(uid))
                .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue(uid + "@x")))
        .build();
  }

  private AcquireLeaseResponse acquire(String holder, long expected) {
    return internal.acquireLease(
        AcquireLeaseRequest.newBuilder()
            .setHolder(holder)
            .setExpectedEpoch(expected)
            .setTtlMs(60_000)
            .build());
  }

  @Test
  void ingest_withFormerHoldersEpoch_isRejectedAndNotApplied() {
    AcquireLeaseResponse a = acquire("router-a", 0);
    fenced(a.getEpoch()).ingest(ingest("before"));
    internal.acquireLease(
        AcquireLeaseRequest.newBuilder()
            .setHolder("router-a")
            .setExpectedEpoch(a.getEpoch())
            .setRelease(true)
            .build());
    AcquireLeaseResponse b = acquire("router-b", 0);
    // The new holder's first call raises the fence.
    ChangeFeedStateResponse state =
        internal
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(epoch(b.getEpoch())))
            .changeFeedState(ChangeFeedStateRequest.getDefaultInstance());

    assertThatThrownBy(() -> fenced(a.getEpoch()).ingest(ingest("stale")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription())
                  .contains("epoch " + a.getEpoch() + " is below the highest epoch");
            });
    assertThatThrownBy(
            () ->
                internal.ackDirty(
                    AckDirtyRequest.newBuilder().setEpoch(a.getEpoch()).setUpTo(5).build()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("FAILED_PRECONDITION");
    tempora.ingest(ingest("client")); // client writes carry no epoch
    fenced(b.getEpoch()).ingest(ingest("holder"));

    assertThat(a.getGranted()).isTrue();
    assertThat(b.getGranted()).isTrue();
    assertThat(b.getEpoch()).isGreaterThan(a.getEpoch());
    assertThat(state.getHighestEpoch()).isEqualTo(b.getEpoch());
    assertThat(
            tempora.getStats(io.tempora.proto.v1.GetStatsRequest.getDefaultInstance()).getRecords())
        .as("before, client and holder; not stale")
        .isEqualTo(3);
  }

  @Test
  void acquireLease_heldByOther_isNotGrantedAndNamesHolder() {
    AcquireLeaseResponse a = acquire("router-a", 0);

    AcquireLeaseResponse b = acquire("router-b", 0);

    assertThat(b.getGranted()).isFalse();
    assertThat(b.getHolder()).isEqualTo("router-a");
    assertThat(b.getEpoch()).isEqualTo(a.getEpoch());
  }

  @Test
  void ackDirty_thenChangeFeedState_reportsCursorAndHead() {
    AcquireLeaseResponse a = acquire("router-a", 0);
    tempora.ingest(ingest("x"));

    long acked =
        internal
            .ackDirty(AckDirtyRequest.newBuilder().setEpoch(a.getEpoch()).setUpTo(2).build())
            .getAcknowledged();
    long back =
        internal
            .ackDirty(AckDirtyRequest.newBuilder().setEpoch(a.getEpoch()).setUpTo(1).build())
            .getAcknowledged();
    ChangeFeedStateResponse state =
        internal.changeFeedState(ChangeFeedStateRequest.getDefaultInstance());

    assertThat(acked).isEqualTo(2);
    assertThat(back).as("the cursor never goes back").isEqualTo(2);
    assertThat(state.getAcknowledged()).isEqualTo(2);
    assertThat(state.getHeadTx()).isEqualTo(2);
  }
}
