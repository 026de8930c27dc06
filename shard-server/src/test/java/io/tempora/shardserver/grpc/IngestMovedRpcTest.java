package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.internal.v1.ChangedRecordsRequest;
import io.tempora.proto.internal.v1.ChangedRecordsResponse;
import io.tempora.proto.internal.v1.FindRecordsRequest;
import io.tempora.proto.internal.v1.FindRecordsResponse;
import io.tempora.proto.internal.v1.IngestMovedRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsResponse;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.WriteItem;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A reconciliation move's target ingest ({@code IngestMoved}): an Ingest that names each record's
 * former entity, so an entity moved whole keeps its id (docs/decisions.md D3); and the entity ids
 * the reconciliation reads (ListLiveRecords, ChangedRecords, FindRecords) report per record.
 */
class IngestMovedRpcTest {
  /** An entity id shard 2 created (this shard is shard 0). */
  private static final long FORMER = (2L << 48) | 7;

  private InProcessShard shard;

  @BeforeEach
  void start() {
    shard = InProcessShard.start(c -> c);
    shard.tempora.setOntology(
        SetOntologyRequest.newBuilder()
            .setOntology(
                Ontology.newBuilder()
                    .addIdentityKeys(
                        IdentityKey.newBuilder().setName("by-email").addAttributes("email")))
            .build());
  }

  @AfterEach
  void stop() {
    shard.close();
  }

  private static Record person(String uid, String email) {
    return Record.newBuilder()
        .setIdentity(
            io.tempora.proto.v1.Identity.newBuilder()
                .setEntityType("person")
                .setPerspective("crm")
                .setUid(uid))
        .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue(email))
        .build();
  }

  private long entityOf(Record r) {
    return shard
        .tempora
        .getRecord(GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build())
        .getEntityId();
  }

  @Test
  void ingestMoved_wholeEntity_keepsItsFormerIdAndAnswersLikeIngest() {
    Record a = person("a", "e@x");
    Record b = person("b", "e@x");

    IngestResponse r =
        shard.internal.ingestMoved(
            IngestMovedRequest.newBuilder()
                .addRecords(a)
                .addRecords(b)
                .addFormerEntityIds(FORMER)
                .addFormerEntityIds(FORMER)
                .build());

    assertThat(r.getItemsList())
        .extracting(WriteItem::getOutcome)
        .containsExactly(Outcome.OUTCOME_CREATED, Outcome.OUTCOME_CREATED);
    assertThat(r.getItemsList()).extracting(WriteItem::getEntityId).containsOnly(FORMER);
    assertThat(entityOf(a)).isEqualTo(FORMER);
    assertThat(entityOf(b)).isEqualTo(FORMER);
  }

  @Test
  void ingestMoved_formerIdsNotOnePerRecord_invalidArgumentAndNothingApplied() {
    long before = shard.tempora.getStats(GetStatsRequest.getDefaultInstance()).getLastTx();

    assertThatThrownBy(
            () ->
                shard.internal.ingestMoved(
                    IngestMovedRequest.newBuilder()
                        .addRecords(person("a", "e@x"))
                        .addRecords(person("b", "e@x"))
                        .addFormerEntityIds(FORMER)
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo(
                      "former_entity_ids: 1 given for 2 records (give none or one per record)");
            });
    assertThat(shard.tempora.getStats(GetStatsRequest.getDefaultInstance()).getLastTx())
        .isEqualTo(before);
  }

  @Test
  void reconciliationReads_reportEachRecordsEntity() {
    Record a = person("a", "e@x");
    Record b = person("b", "e@x");
    Record c = person("c", "f@x");
    shard.tempora.ingest(
        io.tempora.proto.v1.IngestRequest.newBuilder()
            .addRecords(a)
            .addRecords(b)
            .addRecords(c)
            .build());
    List<Long> expected = List.of(entityOf(a), entityOf(b), entityOf(c));

    ListLiveRecordsResponse all =
        shard.internal.listLiveRecords(ListLiveRecordsRequest.getDefaultInstance());
    ChangedRecordsResponse changed =
        shard.internal.changedRecords(ChangedRecordsRequest.getDefaultInstance());
    FindRecordsResponse found =
        shard.internal.findRecords(
            FindRecordsRequest.newBuilder()
                .addValues(AttrValue.newBuilder().setAttr("email").setValue("e@x"))
                .addValues(AttrValue.newBuilder().setAttr("email").setValue("f@x"))
                .build());

    assertThat(all.getEntityIdsList()).hasSize(3);
    assertThat(changed.getEntityIdsList()).hasSize(3);
    assertThat(found.getEntityIdsList()).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(all.getEntityIds(i)).isEqualTo(entityFor(all.getRecords(i), expected, a, b, c));
      assertThat(changed.getEntityIds(i))
          .isEqualTo(entityFor(changed.getRecords(i), expected, a, b, c));
      assertThat(found.getEntityIds(i))
          .isEqualTo(entityFor(found.getRecords(i), expected, a, b, c));
    }
  }

  private static long entityFor(Record r, List<Long> expected, Record... in) {
    for (int i = 0; i < in.length; i++) {
      if (in[i].getIdentity().equals(r.getIdentity())) {
        return expected.get(i);
      }
    }
    throw new AssertionError("unexpected record " + r.getIdentity());
  }
}
