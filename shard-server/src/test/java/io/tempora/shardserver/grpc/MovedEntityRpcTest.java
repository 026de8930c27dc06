package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.internal.v1.ChangedRecordsRequest;
import io.tempora.proto.internal.v1.ChangedRecordsResponse;
import io.tempora.proto.internal.v1.DeletedEntitiesRequest;
import io.tempora.proto.internal.v1.EntityRename;
import io.tempora.proto.internal.v1.FindRecordsRequest;
import io.tempora.proto.internal.v1.FindRecordsResponse;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsResponse;
import io.tempora.proto.internal.v1.MoveCopyRequest;
import io.tempora.proto.internal.v1.MoveCopyResponse;
import io.tempora.proto.internal.v1.RenameMovedEntitiesRequest;
import io.tempora.proto.internal.v1.RenameMovedEntitiesResponse;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a reconciliation move needs to give a moved entity its id back (docs/decisions.md D3): the
 * entity ids the round's reads (ListLiveRecords, ChangedRecords, FindRecords) report per record,
 * MoveCopy's entities, DeletedEntities on the source and RenameMovedEntities on the target.
 */
class MovedEntityRpcTest {
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
  void moveCopy_newEntity_reportsItsEntityAndThatItCreatedIt() {
    Record a = person("a", "e@x");
    Record b = person("b", "e@x");
    shard.tempora.ingest(IngestRequest.newBuilder().addRecords(person("z", "z@x")).build());

    MoveCopyResponse r =
        shard.internal.moveCopy(
            MoveCopyRequest.newBuilder()
                .addRecords(a)
                .addRecords(b)
                .setEpoch(1)
                .setSequence(1)
                .build());

    assertThat(r.getEntityIdsList()).containsExactly(entityOf(a), entityOf(a));
    assertThat(r.getCreatedEntityIdsList()).containsExactly(entityOf(a));
  }

  @Test
  void renameMovedEntities_formerIdDeletedElsewhere_copyTakesItAndDeletedEntitiesSaysSo() {
    Record a = person("a", "e@x");
    Record b = person("b", "f@x");
    shard.tempora.ingest(IngestRequest.newBuilder().addRecords(a).addRecords(b).build());
    long copy = entityOf(a);
    long kept = entityOf(b);

    RenameMovedEntitiesResponse r =
        shard.internal.renameMovedEntities(
            RenameMovedEntitiesRequest.newBuilder()
                .addRenames(EntityRename.newBuilder().setFrom(copy).setTo(FORMER))
                .addRenames(EntityRename.newBuilder().setFrom(kept).setTo(copy))
                .build());

    assertThat(r.getRenamedList()).containsExactly(true, false);
    assertThat(entityOf(a)).isEqualTo(FORMER);
    assertThat(entityOf(b)).isEqualTo(kept);
    shard.tempora.delete(DeleteRequest.newBuilder().addIdentities(b.getIdentity()).build());
    assertThat(
            shard
                .internal
                .deletedEntities(
                    DeletedEntitiesRequest.newBuilder()
                        .addEntityIds(FORMER)
                        .addEntityIds(copy)
                        .addEntityIds(kept)
                        .addEntityIds(12345)
                        .build())
                .getDeletedList())
        .as("active, alias, deleted, unknown")
        .containsExactly(false, false, true, false);
  }

  @Test
  void renameMovedEntities_sameEntityTwice_invalidArgumentAndNothingApplied() {
    Record a = person("a", "e@x");
    shard.tempora.ingest(IngestRequest.newBuilder().addRecords(a).build());
    long copy = entityOf(a);
    long before = shard.tempora.getStats(GetStatsRequest.getDefaultInstance()).getLastTx();

    assertThatThrownBy(
            () ->
                shard.internal.renameMovedEntities(
                    RenameMovedEntitiesRequest.newBuilder()
                        .addRenames(EntityRename.newBuilder().setFrom(copy).setTo(FORMER))
                        .addRenames(EntityRename.newBuilder().setFrom(copy).setTo(FORMER + 1))
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("renames: entity " + copy + " named twice");
            });
    assertThat(shard.tempora.getStats(GetStatsRequest.getDefaultInstance()).getLastTx())
        .isEqualTo(before);
    assertThat(entityOf(a)).isEqualTo(copy);
  }

  @Test
  void reconciliationReads_reportEachRecordsEntity() {
    Record a = person("a", "e@x");
    Record b = person("b", "e@x");
    Record c = person("c", "f@x");
    shard.tempora.ingest(
        IngestRequest.newBuilder().addRecords(a).addRecords(b).addRecords(c).build());
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
