package io.tempora.router;

import static io.tempora.router.ContactRecords.ONTOLOGY;
import static io.tempora.router.ContactRecords.record;
import static io.tempora.router.ContactRecords.tagOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.tempora.proto.internal.v1.HomeMove;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.SetHomesRequest;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client write through one router racing a reconciliation move made by another (docs/
 * distributed.md "Writes during a move"), with the interleaving forced by a hook on the shards: the
 * write lands on the source after the round read the record (carried over by the mover), or after
 * the home moved (resent by the writer). Either way the acknowledged content survives.
 */
class MoveRaceTest {
  private static final Signatures SIGS = new Signatures(ONTOLOGY);
  private static final ShardMap MAP = new ShardMap(3);

  /** Runs once, before the next call of the armed method reaches the shard's handler. */
  private final AtomicReference<InProcessCluster.Trap> hook = new AtomicReference<>();

  private InProcessCluster cluster;

  @BeforeEach
  void start() {
    cluster = InProcessCluster.start(3, shard -> InProcessCluster.trap(shard, hook));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private ManagedChannel router(String id) {
    cluster.router(id, Duration.ofSeconds(30));
    return cluster.channel(id);
  }

  private ManagedChannel shardChannel(int shard) {
    return cluster.shardChannel(shard);
  }

  @Test
  void upsert_reachingSourceBetweenRoundReadAndCas_isCarriedToTarget() {
    ManagedChannel mover = router("router-a");
    ManagedChannel writer = router("router-b");
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(writer);
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    RouterGrpc.newBlockingStub(mover).reconcile(ReconcileRequest.getDefaultInstance());
    Record[] pair = ContactRecords.crossShardPair();
    client.ingest(IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());
    // A 1-1 component moves to the lower shard id: the record homed on the higher one moves.
    Record moved =
        MAP.shardOfSlot(SIGS.homeSlot(pair[0])) > MAP.shardOfSlot(SIGS.homeSlot(pair[1]))
            ? pair[0]
            : pair[1];
    // Just before the move's directory CAS, router-b updates both records.
    Runnable write =
        () ->
            client.ingest(
                IngestRequest.newBuilder()
                    .addRecords(withTag(pair[0], "late"))
                    .addRecords(withTag(pair[1], "late"))
                    .build());
    hook.set(new InProcessCluster.Trap(MAP.shardOf(moved.getIdentity()), "SetHomes", write));

    RouterGrpc.newBlockingStub(mover).reconcile(ReconcileRequest.getDefaultInstance());

    assertThat(hook.get()).as("the write ran inside the move").isNull();
    assertSingleCopyTagged(client, pair, "late");
  }

  @Test
  void upsert_reachingTargetJustBeforeTheCarryOver_isNotOverwritten() {
    ManagedChannel mover = router("router-a");
    ManagedChannel writer = router("router-b");
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(writer);
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    RouterGrpc.newBlockingStub(mover).reconcile(ReconcileRequest.getDefaultInstance());
    Record[] pair = ContactRecords.crossShardPair();
    client.ingest(IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());
    boolean firstMoves =
        MAP.shardOfSlot(SIGS.homeSlot(pair[0])) > MAP.shardOfSlot(SIGS.homeSlot(pair[1]));
    Record moved = firstMoves ? pair[0] : pair[1];
    int target = MAP.shardOfSlot(SIGS.homeSlot(firstMoves ? pair[1] : pair[0]));
    Runnable later =
        () ->
            client.ingest(
                IngestRequest.newBuilder()
                    .addRecords(withTag(pair[0], "later"))
                    .addRecords(withTag(pair[1], "later"))
                    .build());
    // Before the CAS a write reaches the source (so the move has something to carry over); after
    // the CAS, just before the carry-over reaches the target, a newer write reaches the target.
    Runnable late =
        () -> {
          client.ingest(
              IngestRequest.newBuilder()
                  .addRecords(withTag(pair[0], "late"))
                  .addRecords(withTag(pair[1], "late"))
                  .build());
          hook.set(new InProcessCluster.Trap(target, "CarryOver", later));
        };
    hook.set(new InProcessCluster.Trap(MAP.shardOf(moved.getIdentity()), "SetHomes", late));

    RouterGrpc.newBlockingStub(mover).reconcile(ReconcileRequest.getDefaultInstance());

    assertThat(hook.get()).as("both writes ran inside the move").isNull();
    assertSingleCopyTagged(client, pair, "later");
  }

  @Test
  void upsert_revertingTargetCopyAfterCas_isNotOverwrittenByCarryOver() {
    ManagedChannel mover = router("router-a");
    ManagedChannel writer = router("router-b");
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(writer);
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    RouterGrpc.newBlockingStub(mover).reconcile(ReconcileRequest.getDefaultInstance());
    Record[] pair = ContactRecords.crossShardPair();
    client.ingest(IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());
    boolean firstMoves =
        MAP.shardOfSlot(SIGS.homeSlot(pair[0])) > MAP.shardOfSlot(SIGS.homeSlot(pair[1]));
    Record moved = firstMoves ? pair[0] : pair[1];
    int target = MAP.shardOfSlot(SIGS.homeSlot(firstMoves ? pair[1] : pair[0]));
    // W2, after the CAS and just before the carry-over: both records back to exactly what the
    // round read, so on the target the moved record's write is UNCHANGED (no new version).
    Runnable revert =
        () ->
            client.ingest(
                IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());
    // W1, just before the CAS: other content reaches the source (the carry-over's reason to run).
    Runnable late =
        () -> {
          client.ingest(
              IngestRequest.newBuilder()
                  .addRecords(withTag(pair[0], "late"))
                  .addRecords(withTag(pair[1], "late"))
                  .build());
          hook.set(new InProcessCluster.Trap(target, "CarryOver", revert));
        };
    hook.set(new InProcessCluster.Trap(MAP.shardOf(moved.getIdentity()), "SetHomes", late));

    RouterGrpc.newBlockingStub(mover).reconcile(ReconcileRequest.getDefaultInstance());

    assertThat(hook.get()).as("both writes ran inside the move").isNull();
    assertSingleCopyTagged(client, pair, "");
  }

  @Test
  void upsert_landingOnSourceAfterHomeMoved_isResentToNewHome() {
    ManagedChannel writer = router("router-b");
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(writer);
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record r = record("solo", "email", "solo@x");
    client.ingest(IngestRequest.newBuilder().addRecords(r).build());
    int source = MAP.shardOfSlot(SIGS.homeSlot(r));
    int target = (source + 1) % 3;
    int directory = MAP.shardOf(r.getIdentity());
    // A move made "behind the writer's back": copy on the target and directory CAS, after the
    // writer resolved the old home and before its write reaches the source.
    Runnable move =
        () -> {
          TemporaServiceGrpc.newBlockingStub(shardChannel(target))
              .ingest(IngestRequest.newBuilder().addRecords(r).build());
          ShardGrpc.newBlockingStub(shardChannel(directory))
              .setHomes(
                  SetHomesRequest.newBuilder()
                      .addMoves(
                          HomeMove.newBuilder()
                              .setIdentity(r.getIdentity())
                              .setExpectedSlot(SIGS.homeSlot(r))
                              .setNewSlot(MAP.firstSlot(target)))
                      .build());
        };
    hook.set(new InProcessCluster.Trap(source, "Ingest", move));

    client.ingest(IngestRequest.newBuilder().addRecords(withTag(r, "late")).build());
    // The stale source copy is removed by the next round (any router may run it).
    RouterGrpc.newBlockingStub(writer).reconcile(ReconcileRequest.getDefaultInstance());

    assertThat(hook.get()).as("the move ran inside the write").isNull();
    assertThat(liveCopies(r.getIdentity())).containsExactly(target);
    assertThat(tagOf(client, r)).isEqualTo("late");
  }

  /**
   * Gap A of docs/distributed.md "Known gaps" (closed): router-b resolves x's home on shard T;
   * before its write reaches T, an earlier move takes x to shard S (copy, CAS, delete on T), so the
   * write lands on T outside x's home; then, before router-b re-checks, a round of router-a moves x
   * back to T (deleting the stale copy holding the write, copying S's older content, CAS to T's
   * first slot). The re-check sees x homed on T again, on another slot: the write is resent there,
   * and survives.
   */
  @Test
  void upsert_landingOnTargetBeforeAMoveBackThere_isResentAndSurvives() {
    router("router-a");
    ManagedChannel writer = router("router-b");
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(writer);
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    cluster.reconcile("router-a");
    Record x = record("x", "phone", "p9");
    int homeOfX = SIGS.homeSlot(x);
    int t = MAP.shardOfSlot(homeOfX);
    int s = (t + 1) % 3;
    assertThat(homeOfX).as("x's own home is not T's first slot").isNotEqualTo(MAP.firstSlot(t));
    // Two partners homed on T: the component {x, y1, y2} belongs on T whatever the shard ids.
    List<Record> partners = new ArrayList<>();
    for (int i = 0; partners.size() < 2; i++) {
      Record y =
          record("y" + i, "email", "y" + i + "@x").toBuilder()
              .addDescriptors(Descriptor.newBuilder().setAttr("phone").setValue("p9"))
              .build();
      if (MAP.shardOfSlot(SIGS.homeSlot(y)) == t) {
        partners.add(y);
      }
    }
    client.ingest(IngestRequest.newBuilder().addRecords(x).addAllRecords(partners).build());
    assertThat(cluster.liveCopies(x.getIdentity())).containsExactly(t);
    int directory = MAP.shardOf(x.getIdentity());
    // The move back to T, by router-a's round, just before router-b's re-check looks x up.
    Runnable moveBack = () -> cluster.reconcile("router-a");
    // The earlier move of x from T to S, made behind router-b's back after it resolved T.
    Runnable moveAway =
        () -> {
          TemporaServiceGrpc.newBlockingStub(shardChannel(s))
              .ingest(IngestRequest.newBuilder().addRecords(x).build());
          ShardGrpc.newBlockingStub(shardChannel(directory))
              .setHomes(
                  SetHomesRequest.newBuilder()
                      .addMoves(
                          HomeMove.newBuilder()
                              .setIdentity(x.getIdentity())
                              .setExpectedSlot(homeOfX)
                              .setNewSlot(MAP.firstSlot(s)))
                      .build());
          TemporaServiceGrpc.newBlockingStub(shardChannel(t))
              .delete(DeleteRequest.newBuilder().addIdentities(x.getIdentity()).build());
          hook.set(new InProcessCluster.Trap(directory, "ResolveHomes", moveBack));
        };
    hook.set(new InProcessCluster.Trap(t, "Ingest", moveAway));

    client.ingest(IngestRequest.newBuilder().addRecords(withTag(x, "late")).build());

    assertThat(hook.get()).as("both moves ran inside the write").isNull();
    cluster.reconcile("router-a");
    assertThat(cluster.liveCopies(x.getIdentity())).containsExactly(t);
    assertThat(tagOf(client, x)).as("the acknowledged write").isEqualTo("late");
  }

  private void assertSingleCopyTagged(TemporaServiceBlockingStub client, Record[] pair, String t) {
    for (Record r : pair) {
      assertThat(liveCopies(r.getIdentity())).as("copies of %s", r.getIdentity()).hasSize(1);
      assertThat(tagOf(client, r)).as("content of %s", r.getIdentity().getUid()).isEqualTo(t);
    }
  }

  private List<Integer> liveCopies(Identity id) {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < cluster.size(); s++) {
      for (Record r :
          ShardGrpc.newBlockingStub(shardChannel(s))
              .listLiveRecords(ListLiveRecordsRequest.newBuilder().setPageSize(10_000).build())
              .getRecordsList()) {
        if (r.getIdentity().equals(id)) {
          out.add(s);
        }
      }
    }
    return out;
  }

  private static Record withTag(Record r, String tag) {
    return r.toBuilder()
        .addDescriptors(Descriptor.newBuilder().setAttr("tag").setValue(tag))
        .build();
  }
}
