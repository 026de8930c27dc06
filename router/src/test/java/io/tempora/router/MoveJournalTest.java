package io.tempora.router;

import static io.tempora.router.ContactRecords.ONTOLOGY;
import static io.tempora.router.ContactRecords.record;
import static io.tempora.router.ContactRecords.tag;
import static io.tempora.router.ContactRecords.tagOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.internal.v1.ListMoveJournalRequest;
import io.tempora.proto.internal.v1.MoveJournalEntry;
import io.tempora.proto.internal.v1.MovedRecord;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.SaveMoveJournalRequest;
import io.tempora.proto.internal.v1.ShardGrpc;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The move journal (docs/distributed.md "Writes during a move"): a lease holder "dies" at a point
 * of a move (its {@link MoveHook} throws, the round fails, the router is abandoned and its short
 * lease expires), a client write through another router lands on the move's source in between, and
 * the next holder finishes the journaled move before anything else: the write survives, the
 * identity is live on exactly one shard, the journal is empty. Also: an entry finished twice, and a
 * former holder fenced off the journal. 3 in-process shards behind real gRPC.
 */
class MoveJournalTest {
  private static final Signatures SIGS = new Signatures(ONTOLOGY);
  private static final ShardMap MAP = new ShardMap(3);
  private static final Duration SHORT_LEASE = Duration.ofMillis(300);
  private static final Duration LONG_LEASE = Duration.ofSeconds(30);

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

  private RouterServer router(String id, Duration leaseTtl) {
    return cluster.router(id, leaseTtl);
  }

  private ManagedChannel channel(String routerId) {
    return cluster.channel(routerId);
  }

  private ManagedChannel shardChannel(int shard) {
    return cluster.shardChannel(shard);
  }

  private ReconcileResponse reconcile(String routerId) {
    return cluster.reconcile(routerId);
  }

  /** A move of a cross-shard pair: which record moves, from where to where. */
  private record Move(Record[] pair, Record moved, int source, int target) {}

  /**
   * Router "a" (short lease) is the holder, "b" the writer; a cross-shard pair is written through
   * "b"; returns the move "a"'s next round will make.
   */
  private Move setUp(TemporaServiceBlockingStub client) {
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    reconcile("a");
    Record[] pair = ContactRecords.crossShardPair();
    client.ingest(IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());
    // A 1-1 component moves to the lower shard id: the record homed on the higher one moves.
    int s0 = MAP.shardOfSlot(SIGS.homeSlot(pair[0]));
    int s1 = MAP.shardOfSlot(SIGS.homeSlot(pair[1]));
    return s0 > s1 ? new Move(pair, pair[0], s0, s1) : new Move(pair, pair[1], s1, s0);
  }

  /** Router "a" dies right after the CAS; a write through "b" reached the source before it. */
  private Move holderDiesAfterCasWithLateSourceWrite(TemporaServiceBlockingStub client) {
    RouterServer a = router("a", SHORT_LEASE);
    router("b", LONG_LEASE);
    Move m = setUp(client);
    hook.set(
        new InProcessCluster.Trap(
            MAP.shardOf(m.moved().getIdentity()),
            "SetHomes",
            () -> client.ingest(IngestRequest.newBuilder().addRecords(tagged(m, "late")).build())));
    a.moveHook(
        (point, ids) -> {
          if (point == MoveHook.Point.AFTER_CAS) {
            throw new IllegalStateException("router a dies after the directory CAS");
          }
        });

    assertThatThrownBy(() -> reconcile("a")).isInstanceOf(StatusRuntimeException.class);

    assertThat(hook.get()).as("the late write ran inside the move").isNull();
    assertThat(pending(m.source())).as("the journal entry on the source").isEqualTo(1);
    assertThat(cluster.tagOn(m.source(), m.moved())).as("the source copy").isEqualTo("late");
    assertThat(cluster.tagOn(m.target(), m.moved()))
        .as("the target copy (made before it)")
        .isEmpty();
    return m;
  }

  @Test
  void holderDiesAfterCas_sourceWriteBeforeCas_nextHolderCarriesItOver() {
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(channel("b"));
    Move m = holderDiesAfterCasWithLateSourceWrite(client);

    ReconcileResponse r = reconcile("b"); // takes the lease once a's has expired

    assertThat(r.getJournalFinished()).isEqualTo(1);
    assertMovedOnceWithTag(client, m, "late");
  }

  @Test
  void holderDiesAfterCas_targetRestartsBeforeFinishing_nextHolderStillCarriesOver() {
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(channel("b"));
    Move m = holderDiesAfterCasWithLateSourceWrite(client);
    assertThat(cluster.carryMarks(m.target())).as("the copy's mark").isEqualTo(1);

    cluster.restartShard(m.target()); // the mark is stored: the carry-over still applies
    ReconcileResponse r = reconcile("b");

    assertThat(r.getJournalFinished()).isEqualTo(1);
    assertMovedOnceWithTag(client, m, "late");
  }

  @Test
  void holderDiesAfterCas_unchangedTargetWriteThenRestart_writeIsNotOverwritten() {
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(channel("b"));
    Move m = holderDiesAfterCasWithLateSourceWrite(client);
    // After the CAS a client sets the moved record back to exactly the copy the move made: an
    // UNCHANGED write on the target (no new version), newer than the source's "late".
    client.ingest(IngestRequest.newBuilder().addRecords(m.moved()).build());
    assertThat(cluster.carryMarks(m.target())).as("marks after the client write").isZero();

    cluster.restartShard(m.target());
    ReconcileResponse r = reconcile("b");

    assertThat(r.getJournalFinished()).isEqualTo(1);
    assertMovedOnceWithTag(client, m, "");
  }

  @ParameterizedTest
  @EnumSource(
      value = MoveHook.Point.class,
      names = {"FINISH_CARRIED", "FINISH_DELETED"})
  void journalEntry_finishedTwiceAfterSecondHolderDies_endsTheSame(MoveHook.Point dies) {
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(channel("b"));
    Move m = holderDiesAfterCasWithLateSourceWrite(client);
    RouterServer c = router("c", SHORT_LEASE);
    c.moveHook(
        (point, ids) -> {
          if (point == dies) {
            throw new IllegalStateException("router c dies while finishing the move");
          }
        });

    assertThatThrownBy(() -> reconcile("c")).isInstanceOf(StatusRuntimeException.class);
    assertThat(pending(m.source())).as("the entry survives c's death").isEqualTo(1);
    ReconcileResponse r = reconcile("b");

    assertThat(r.getJournalFinished()).isEqualTo(1);
    assertMovedOnceWithTag(client, m, "late");
  }

  @Test
  void holderDiesBeforeCas_nextHolderDropsTargetCopyAndKeepsSourceWrite() {
    RouterServer a = router("a", SHORT_LEASE);
    RouterServer b = router("b", LONG_LEASE);
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(channel("b"));
    Move m = setUp(client);
    a.moveHook(
        (point, ids) -> {
          if (point == MoveHook.Point.BEFORE_CAS) {
            client.ingest(IngestRequest.newBuilder().addRecords(tagged(m, "late")).build());
            throw new IllegalStateException("router a dies before the directory CAS");
          }
        });
    assertThatThrownBy(() -> reconcile("a")).isInstanceOf(StatusRuntimeException.class);
    assertThat(pending(m.source())).isEqualTo(1);
    List<List<Integer>> whenFinished = new ArrayList<>();
    b.moveHook(
        (point, ids) -> {
          if (point == MoveHook.Point.FINISH_DELETED) {
            whenFinished.add(liveCopies(m.moved().getIdentity()));
          }
        });

    ReconcileResponse r = reconcile("b"); // finishes a's entry, then moves the pair itself

    assertThat(r.getJournalFinished()).isEqualTo(1);
    assertThat(whenFinished)
        .as("copies when b finished a's entry: the target copy dropped, the source kept")
        .containsExactly(List.of(m.source()));
    assertMovedOnceWithTag(client, m, "late");
  }

  @Test
  void formerHolder_cannotAddOrRemoveJournalEntries() {
    router("a", SHORT_LEASE);
    router("b", LONG_LEASE);
    TemporaServiceBlockingStub client = TemporaServiceGrpc.newBlockingStub(channel("b"));
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    reconcile("a");
    reconcile("b"); // epoch 2 once a's lease expired; its first calls raise every shard's fence
    ShardGrpc.ShardBlockingStub shard1 = ShardGrpc.newBlockingStub(shardChannel(1));
    MoveJournalEntry current = entry(2);
    LeaseEpoch.with(2L, () -> shard1.saveMoveJournal(save(2, current, false)));

    for (MoveJournalEntry e : List.of(entry(1), current)) {
      for (boolean remove : new boolean[] {false, true}) {
        // With the epoch as a round's header and, without it, only in the request.
        assertFenced(() -> LeaseEpoch.with(1L, () -> shard1.saveMoveJournal(save(1, e, remove))));
        assertFenced(() -> shard1.saveMoveJournal(save(1, e, remove)));
      }
    }

    assertThat(pending(1)).as("only the current holder's entry").isEqualTo(1);
    assertThat(
            shard1
                .listMoveJournal(ListMoveJournalRequest.getDefaultInstance())
                .getEntries(0)
                .getEpoch())
        .isEqualTo(2);
    LeaseEpoch.with(2L, () -> shard1.saveMoveJournal(save(2, current, true)));
    assertThat(pending(1)).isZero();
  }

  private static void assertFenced(Runnable call) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription())
                  .contains("epoch 1 is below the highest epoch 2");
            });
  }

  private static SaveMoveJournalRequest save(long epoch, MoveJournalEntry e, boolean remove) {
    return SaveMoveJournalRequest.newBuilder()
        .setEpoch(epoch)
        .setEntry(e)
        .setRemove(remove)
        .build();
  }

  private static MoveJournalEntry entry(long epoch) {
    return MoveJournalEntry.newBuilder()
        .setEpoch(epoch)
        .setSequence(1)
        .setTarget(0)
        .addRecords(
            MovedRecord.newBuilder()
                .setCopy(record("j", "email", "j@x"))
                .setFromSlot(MAP.firstSlot(1))
                .setToSlot(MAP.firstSlot(0)))
        .build();
  }

  // ---- helpers

  private void assertMovedOnceWithTag(TemporaServiceBlockingStub client, Move m, String tag) {
    assertThat(liveCopies(m.moved().getIdentity())).containsExactly(m.target());
    assertThat(cluster.tagOn(m.target(), m.moved())).isEqualTo(tag);
    assertThat(tagOf(client, m.moved())).isEqualTo(tag);
    for (int s = 0; s < cluster.size(); s++) {
      assertThat(pending(s)).as("journal entries on shard %d", s).isZero();
      assertThat(cluster.carryMarks(s)).as("carry-over marks on shard %d", s).isZero();
    }
  }

  private int pending(int shard) {
    return cluster.pending(shard);
  }

  private static Record tagged(Move m, String tag) {
    return ContactRecords.tagged(m.moved(), tag);
  }

  private List<Integer> liveCopies(Identity id) {
    return cluster.liveCopies(id);
  }
}
