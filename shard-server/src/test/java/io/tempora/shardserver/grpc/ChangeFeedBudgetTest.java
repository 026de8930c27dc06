package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.internal.v1.ChangedRecordsRequest;
import io.tempora.proto.internal.v1.ChangedRecordsResponse;
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
 * ChangedRecords within its byte budget (here 2,000 bytes): an answer ends before a transaction
 * that does not fit, and a transaction that does not fit alone is refused with FAILED_PRECONDITION
 * asking for a full round, so no answer outgrows the router's message limit or the shard's heap.
 */
class ChangeFeedBudgetTest {
  private InProcessShard shard;
  private ShardGrpc.ShardBlockingStub internal;
  private TemporaServiceGrpc.TemporaServiceBlockingStub tempora;

  @BeforeEach
  void start() {
    shard = InProcessShard.start(c -> c.withChangeFeedBytes(2_000));
    internal = shard.internal;
    tempora = shard.tempora;
  }

  @AfterEach
  void stop() {
    shard.close();
  }

  @Test
  void changedRecords_transactionsBeyondTheBudget_endTheAnswerBeforeThem() {
    ingest("small", 2);
    ingest("large", 60);

    ChangedRecordsResponse first = changed(0);

    assertThat(first.getRecordsList())
        .extracting(r -> r.getIdentity().getUid())
        .containsExactlyInAnyOrder("small0", "small1");
    assertThat(first.getEvents()).isEqualTo(2);
    assertThat(first.getMore()).isTrue();
    assertThat(first.getSerializedSize()).isLessThan(2_000);
  }

  @Test
  void changedRecords_oneTransactionLargerThanTheBudget_failedPreconditionAsksForAFullRound() {
    ingest("small", 2);
    ingest("large", 60);
    ingest("after", 1);
    long large = changed(0).getNextFromTx();

    assertThatThrownBy(() -> changed(large))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription())
                  .contains("transaction " + large)
                  .contains("2000 bytes")
                  .endsWith("run a full round");
            });
    ChangedRecordsResponse after = changed(large + 1);
    assertThat(after.getRecordsList())
        .extracting(r -> r.getIdentity().getUid())
        .containsExactly("after0");
    assertThat(after.getMore()).isFalse();
  }

  private ChangedRecordsResponse changed(long fromTx) {
    return internal.changedRecords(ChangedRecordsRequest.newBuilder().setFromTx(fromTx).build());
  }

  private void ingest(String prefix, int n) {
    IngestRequest.Builder b = IngestRequest.newBuilder();
    for (int i = 0; i < n; i++) {
      b.addRecords(
          Record.newBuilder()
              .setIdentity(
                  Identity.newBuilder()
                      .setEntityType("person")
                      .setPerspective("p")
                      .setUid(prefix + i))
              .addDescriptors(
                  Descriptor.newBuilder().setAttr("email").setValue(prefix + i + "@example.org")));
    }
    tempora.ingest(b.build());
  }
}
