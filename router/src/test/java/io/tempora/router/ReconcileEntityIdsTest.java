package io.tempora.router;

import static io.tempora.router.ContactRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.proto.v1.Constraint;
import io.tempora.proto.v1.ConstraintKind;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.EntityEvent;
import io.tempora.proto.v1.EntityEventKind;
import io.tempora.proto.v1.EntityMember;
import io.tempora.proto.v1.EntityStatus;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.ListEntityChangesRequest;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Entity ids across reconciliation moves (docs/decisions.md D3): an entity that a round moves whole
 * to another shard takes its id back there once the source deleted it; moved records that join an
 * entity of the target take that entity's id; a record joining the moving entity on the source
 * after the round read it keeps the id there, and the moved records keep the id their copy got (no
 * id is ever active on two shards). 3 in-process shards behind real gRPC, routers without polling.
 */
class ReconcileEntityIdsTest {
  /** People link by email; ssn is unique (entities sharing one are in one component). */
  private static final Ontology ONTOLOGY =
      ContactRecords.ONTOLOGY.toBuilder()
          .addConstraints(
              Constraint.newBuilder()
                  .setName("ssn-unique")
                  .setAttribute("ssn")
                  .setKind(ConstraintKind.CONSTRAINT_KIND_UNIQUE))
          .build();

  private static final Signatures SIGS = new Signatures(ONTOLOGY);
  private static final ShardMap MAP = new ShardMap(3);

  /** Runs once, before the next call of the armed method reaches the shard's handler. */
  private final AtomicReference<InProcessCluster.Trap> trap = new AtomicReference<>();

  private InProcessCluster cluster;
  private RouterServer router;
  private TemporaServiceBlockingStub client;

  @BeforeEach
  void start() {
    cluster = InProcessCluster.start(3, shard -> InProcessCluster.trap(shard, trap));
    router = cluster.router("a", Duration.ofSeconds(30));
    client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    cluster.reconcile("a");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private static Record with(Record r, String attr, String value) {
    return r.toBuilder()
        .addDescriptors(Descriptor.newBuilder().setAttr(attr).setValue(value))
        .build();
  }

  private static int shardOf(Record r) {
    return MAP.shardOfSlot(SIGS.homeSlot(r));
  }

  /** An email whose records are homed on a shard other than {@code not}. */
  private static String emailAwayFrom(int not) {
    for (int i = 0; ; i++) {
      String email = "f" + i + "@x";
      if (shardOf(record("probe", "email", email)) != not) {
        return email;
      }
    }
  }

  private void ingest(Record... rs) {
    client.ingest(IngestRequest.newBuilder().addAllRecords(List.of(rs)).build());
  }

  private long entityOf(Record r) {
    return client
        .getRecord(GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build())
        .getEntityId();
  }

  private GetEntityResponse entity(long id) {
    return client.getEntity(GetEntityRequest.newBuilder().setEntityId(id).build());
  }

  private GetEntityResponse entityOnShard(int shard, long id) {
    return TemporaServiceGrpc.newBlockingStub(cluster.shardChannel(shard))
        .getEntity(GetEntityRequest.newBuilder().setEntityId(id).build());
  }

  /** The events of shard {@code shard} about {@code id} since transaction {@code from}. */
  private List<EntityEventKind> eventsOn(int shard, long id, long from) {
    return TemporaServiceGrpc.newBlockingStub(cluster.shardChannel(shard))
        .listEntityChanges(ListEntityChangesRequest.newBuilder().setFromTx(from).build())
        .getEventsList()
        .stream()
        .filter(e -> e.getEntityId() == id || e.getRelatedIdsList().contains(id))
        .map(EntityEvent::getKind)
        .toList();
  }

  private long lastTx(int shard) {
    return TemporaServiceGrpc.newBlockingStub(cluster.shardChannel(shard))
        .getStats(io.tempora.proto.v1.GetStatsRequest.getDefaultInstance())
        .getLastTx();
  }

  /**
   * Entity {@code E = {a1, a2}} on shard A shares an ssn (a unique constraint, so one component,
   * but no link) with three records of one entity on shard B: the round moves E's records to B,
   * where they form an entity of their own.
   */
  private record Scene(Record[] moving, Record[] staying, int source, int target) {}

  private Scene wholeEntityScene() {
    Record a1 = with(record("a1", "email", "e@x"), "ssn", "S1");
    Record a2 = record("a2", "email", "e@x");
    int source = shardOf(a1);
    String f = emailAwayFrom(source);
    Record b1 = with(record("b1", "email", f), "ssn", "S1");
    Record b2 = record("b2", "email", f);
    Record b3 = record("b3", "email", f);
    return new Scene(new Record[] {a1, a2}, new Record[] {b1, b2, b3}, source, shardOf(b1));
  }

  @Test
  void reconcile_entityMovedWhole_keepsItsIdOnTheTarget() {
    Scene s = wholeEntityScene();
    ingest(s.moving());
    ingest(s.staying());
    long id = entityOf(s.moving()[0]);
    long other = entityOf(s.staying()[0]);
    long sourceFrom = lastTx(s.source()) + 1;
    long targetFrom = lastTx(s.target()) + 1;
    assertThat(id >>> 48).as("created by the source").isEqualTo(s.source());

    assertThat(cluster.reconcile("a").getMoved()).isEqualTo(2);

    for (Record r : s.moving()) {
      assertThat(cluster.liveCopies(r.getIdentity())).containsExactly(s.target());
      assertThat(entityOf(r)).as("entity of %s", r.getIdentity().getUid()).isEqualTo(id);
    }
    GetEntityResponse e = entity(id);
    assertThat(e.getStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
    assertThat(e.getResolved()).isEqualTo(id);
    assertThat(e.getMembersList())
        .extracting(EntityMember::getIdentity)
        .containsExactlyInAnyOrder(s.moving()[0].getIdentity(), s.moving()[1].getIdentity());
    assertThat(entityOf(s.staying()[0])).isEqualTo(other);
    assertThat(entityOnShard(s.source(), id).getResolvedStatus())
        .isEqualTo(EntityStatus.ENTITY_STATUS_DELETED);
    assertThat(entityOnShard(s.target(), id).getResolvedStatus())
        .isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
    assertThat(eventsOn(s.source(), id, sourceFrom))
        .containsExactly(EntityEventKind.ENTITY_EVENT_KIND_DELETED);
    // The copy created an entity of a fresh id, which took the id back once the source deleted it.
    assertThat(eventsOn(s.target(), id, targetFrom))
        .containsExactly(EntityEventKind.ENTITY_EVENT_KIND_MERGED);

    // Again: nothing to move, the id stays.
    assertThat(cluster.reconcile("a").getMoved()).isZero();
    assertThat(entityOf(s.moving()[1])).isEqualTo(id);
  }

  @Test
  void reconcileFull_entityMovedWhole_keepsItsId() {
    Scene s = wholeEntityScene();
    ingest(s.moving());
    ingest(s.staying());
    long id = entityOf(s.moving()[0]);

    var r =
        io.tempora.proto.internal.v1.RouterGrpc.newBlockingStub(cluster.channel("a"))
            .withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
            .reconcile(
                io.tempora.proto.internal.v1.ReconcileRequest.newBuilder().setFull(true).build());

    assertThat(r.getFull()).isTrue();
    assertThat(r.getMoved()).isEqualTo(2);
    for (Record m : s.moving()) {
      assertThat(cluster.liveCopies(m.getIdentity())).containsExactly(s.target());
      assertThat(entityOf(m)).isEqualTo(id);
    }
    assertThat(entity(id).getResolvedStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
  }

  @Test
  void query_conflictWithAnEntityMovedWithItsId_readsItOnItsNewShard() {
    Scene s = wholeEntityScene();
    Record a1 = with(s.moving()[0], "city", "Paris");
    ingest(a1, s.moving()[1]);
    ingest(s.staying());
    long id = entityOf(a1);
    // Another entity holding the city, on the third shard: the query matches on two shards.
    int third = 3 - s.source() - s.target();
    Record g = null;
    for (int i = 0; g == null || shardOf(g) != third; i++) {
      g = with(record("g", "email", "g" + i + "@x"), "city", "Paris");
    }
    ingest(g);
    cluster.reconcile("a");

    var answer =
        client.queryEntities(
            io.tempora.proto.v1.QueryEntitiesRequest.newBuilder()
                .addDescriptors(
                    io.tempora.proto.v1.AttrValue.newBuilder().setAttr("city").setValue("Paris"))
                .build());

    assertThat(answer.hasConflict()).isTrue();
    var entities = answer.getConflict().getIntervals(0).getEntitiesList();
    assertThat(entities)
        .extracting(io.tempora.proto.v1.QueryConflictEntity::getEntityId)
        .containsExactlyInAnyOrder(id, entityOf(g));
    assertThat(entities)
        .filteredOn(e -> e.getEntityId() == id)
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getDescriptors(0).getHoldersList()).containsExactly(a1.getIdentity()));
  }

  @Test
  void reconcile_everyMoveStepRunTwice_keepsTheId() {
    Scene s = wholeEntityScene();
    ingest(s.moving());
    ingest(s.staying());
    long id = entityOf(s.moving()[0]);
    router.moveHook(
        new MoveHook() {
          @Override
          public void at(Point point, List<io.tempora.proto.v1.Identity> ids) {}

          @Override
          public boolean repeat(Point point) {
            return point != Point.ROUND_DONE;
          }
        });

    assertThat(cluster.reconcile("a").getMoved()).isEqualTo(2);

    for (Record r : s.moving()) {
      assertThat(cluster.liveCopies(r.getIdentity())).containsExactly(s.target());
      assertThat(entityOf(r)).isEqualTo(id);
    }
    assertThat(entity(id).getResolvedStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
    assertThat(cluster.pending(s.source())).isZero();
  }

  @Test
  void reconcile_movedRecordJoiningATargetEntity_takesTheTargetEntitysId() {
    // x links to y1 by phone; y1's home (its email) is on another shard, with y2 linked to it.
    Record x = record("x", "phone", "p9");
    int source = shardOf(x);
    String f = emailAwayFrom(source);
    Record y1 = with(record("y1", "email", f), "phone", "p9");
    Record y2 = record("y2", "email", f);
    ingest(x);
    ingest(y1, y2);
    long moved = entityOf(x);
    long kept = entityOf(y1);
    int target = shardOf(y1);
    assertThat(moved).isNotEqualTo(kept);

    assertThat(cluster.reconcile("a").getMoved()).isEqualTo(1);

    assertThat(cluster.liveCopies(x.getIdentity())).containsExactly(target);
    assertThat(entityOf(x)).isEqualTo(kept);
    assertThat(entityOf(y2)).isEqualTo(kept);
    assertThat(entity(kept).getMembersList()).hasSize(3);
    // The moved record's former entity ends with its last record on the source (DELETED there);
    // no shard holds it as an alias (docs/decisions.md D3).
    assertThat(entity(moved).getResolvedStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_DELETED);
  }

  /** The shards holding {@code id} ACTIVE (the id itself, not an alias of it). */
  private List<Integer> activeOn(long id) {
    List<Integer> out = new java.util.ArrayList<>();
    for (int shard = 0; shard < 3; shard++) {
      try {
        if (entityOnShard(shard, id).getStatus() == EntityStatus.ENTITY_STATUS_ACTIVE) {
          out.add(shard);
        }
      } catch (io.grpc.StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
      }
    }
    return out;
  }

  /** A record with {@code r}'s email only, homed on {@code shard}. */
  private static Record joinerOn(Record r, int shard) {
    Record c =
        record(
            "c",
            "email",
            r.getDescriptorsList().stream()
                .filter(d -> d.getAttr().equals("email"))
                .findFirst()
                .orElseThrow()
                .getValue());
    assertThat(shardOf(c)).as("the joining record's home").isEqualTo(shard);
    return c;
  }

  @Test
  void reconcile_recordJoiningTheEntityOnTheSourceAfterTheRead_idStaysActiveOnOneShardOnly() {
    Scene s = wholeEntityScene();
    ingest(s.moving());
    ingest(s.staying());
    long id = entityOf(s.moving()[0]);
    Record c = joinerOn(s.moving()[1], s.source());
    cluster.router("b", Duration.ofSeconds(30));
    TemporaServiceBlockingStub other = cluster.client("b");
    // The round has read the entity; before its CAS (its journal entry reaching the source), a
    // client of another router adds c to the entity on the source (the seed-2880 interleaving of
    // RouterSimulationTest).
    trap.set(
        new InProcessCluster.Trap(
            s.source(),
            "SaveMoveJournal",
            () -> other.ingest(IngestRequest.newBuilder().addRecords(c).build())));

    assertThat(cluster.reconcile("a").getMoved()).isEqualTo(2);

    assertThat(trap.get()).as("the write ran inside the move").isNull();
    assertThat(cluster.liveCopies(c.getIdentity())).containsExactly(s.source());
    assertThat(entityOnShard(s.source(), id).getMembersList())
        .extracting(EntityMember::getIdentity)
        .containsExactly(c.getIdentity());
    long copy = entityOf(s.moving()[0]);
    assertThat(copy).as("the moved records keep their copy's id").isNotEqualTo(id);
    assertThat(entityOf(s.moving()[1])).isEqualTo(copy);
    assertThat(activeOn(id)).containsExactly(s.source());
    assertThat(activeOn(copy)).containsExactly(s.target());

    // The next round co-locates c with the records it links to: one entity, id active once.
    assertThat(cluster.reconcile("a").getMoved()).isEqualTo(1);

    assertThat(cluster.liveCopies(c.getIdentity())).containsExactly(s.target());
    long now = entityOf(c);
    assertThat(entityOf(s.moving()[0])).isEqualTo(now);
    assertThat(entity(now).getMembersList()).hasSize(3);
    assertThat(activeOn(now)).containsExactly(s.target());
    assertThat(activeOn(id)).isEmpty();
  }

  @Test
  void reconcile_recordJoiningOnTheSourceThenDeletedBeforeTheSourceDelete_idIsTakenBack() {
    Scene s = wholeEntityScene();
    ingest(s.moving());
    ingest(s.staying());
    long id = entityOf(s.moving()[0]);
    Record c = joinerOn(s.moving()[1], s.source());
    cluster.router("b", Duration.ofSeconds(30));
    TemporaServiceBlockingStub other = cluster.client("b");
    // c joins the entity on the source before the CAS and is deleted again before the move's
    // source delete: the source's entity ends DELETED, so the id is free to move.
    trap.set(
        new InProcessCluster.Trap(
            s.source(),
            "SaveMoveJournal",
            () -> {
              other.ingest(IngestRequest.newBuilder().addRecords(c).build());
              trap.set(
                  new InProcessCluster.Trap(
                      s.target(),
                      "CarryOver",
                      () ->
                          other.delete(
                              io.tempora.proto.v1.DeleteRequest.newBuilder()
                                  .addIdentities(c.getIdentity())
                                  .build())));
            }));

    assertThat(cluster.reconcile("a").getMoved()).isEqualTo(2);

    assertThat(trap.get()).as("both writes ran inside the move").isNull();
    assertThat(cluster.liveCopies(c.getIdentity())).isEmpty();
    for (Record r : s.moving()) {
      assertThat(entityOf(r)).isEqualTo(id);
    }
    assertThat(activeOn(id)).containsExactly(s.target());
  }

  @Test
  void reconcile_moverDiedBeforeTheSourceDelete_journalFinishingTakesTheIdBack() {
    Scene s = wholeEntityScene();
    ingest(s.moving());
    ingest(s.staying());
    long id = entityOf(s.moving()[0]);
    router.moveHook(
        new MoveHook() {
          private boolean died;

          @Override
          public synchronized void at(Point point, List<io.tempora.proto.v1.Identity> ids) {
            if (point == Point.MARKED_CARRIED && !died) {
              died = true;
              throw new IllegalStateException("router died here (test)");
            }
          }
        });
    assertThatThrownBy(() -> cluster.reconcile("a")).isNotNull();
    assertThat(cluster.pending(s.source())).isEqualTo(1);
    long copy = entityOf(s.moving()[0]);
    assertThat(copy).isNotEqualTo(id);

    assertThat(cluster.reconcile("a").getJournalFinished()).isEqualTo(1);

    for (Record r : s.moving()) {
      assertThat(cluster.liveCopies(r.getIdentity())).containsExactly(s.target());
      assertThat(entityOf(r)).isEqualTo(id);
    }
    assertThat(activeOn(id)).containsExactly(s.target());
    assertThat(entity(copy).getStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_MERGED);
    assertThat(entity(copy).getResolved()).isEqualTo(id);
    assertThat(cluster.pending(s.source())).isZero();
  }
}
