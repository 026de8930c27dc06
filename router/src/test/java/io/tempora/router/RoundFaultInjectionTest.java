package io.tempora.router;

import static io.tempora.router.ContactRecords.ONTOLOGY;
import static io.tempora.router.ContactRecords.record;
import static io.tempora.router.ContactRecords.tag;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.StatusRuntimeException;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DISTRIBUTED.md DS-T5, the systematic half: a fault between every pair of steps of a
 * reconciliation round that moves records, and every step run twice, end in the same state as a run
 * without faults. 3 in-process shards behind real gRPC, routers without polling ({@link
 * InProcessCluster}); the workload is 4 cross-shard pairs, one component spread over all three
 * shards and 2 lone records, so a round moves several batches (one per source and target).
 *
 * <p>Per {@link MoveHook.Point} (every boundary of a move, of the finishing of a journaled move,
 * and of the round's end: after its moves, after its AckDirty): router "a" (300 ms lease) runs the
 * round and "dies" at the point (its hook throws: the round fails, the router is abandoned); just
 * before, an upsert of every workload record through router "b" lands wherever the directory says
 * (the move's source before the CAS, its target after). For the finishing points "a" dies after the
 * CAS instead (the upsert landing on the source before it) and router "c" (300 ms lease) dies at
 * the point while finishing "a"'s journal entry. Then "b" takes the lease and reconciles. The end
 * state must equal the reference run (the same writes, one Reconcile, no fault): every identity
 * live on exactly one shard, the same one, with its last written descriptors; the same partition
 * into entities; the same GetStats record and entity counts; every move journal empty; and a
 * further Reconcile finishes and moves nothing.
 *
 * <p>"Each step run twice": in the second variant every router repeats every step before every
 * boundary ({@link MoveHook#repeat}: the step's shard calls, e.g. the target ingest, the journal
 * write, the directory CAS, the carry-over, the source delete, AckDirty, run again at once), both
 * the dying router up to its death and "b" throughout. This is re-running a step back to back in
 * the same round; a step re-run by the next holder after a death (the carry-over, the deletes and
 * the journal removal of an unfinished entry) is what the fault variant exercises. The paused
 * former holder's writes being rejected (the other half of DS-T5) is covered by {@code
 * ReconcileLeaseTest}, {@code MoveJournalTest} and {@code LeaseFenceRpcTest}.
 */
class RoundFaultInjectionTest {
  private static final Signatures SIGS = new Signatures(ONTOLOGY);
  private static final ShardMap MAP = new ShardMap(3);
  private static final Duration SHORT_LEASE = Duration.ofMillis(300);
  private static final Duration LONG_LEASE = Duration.ofSeconds(30);
  private static final List<Record> WORKLOAD = workload();
  private static final Set<MoveHook.Point> FINISHING =
      EnumSet.of(
          MoveHook.Point.FINISH_CARRIED,
          MoveHook.Point.FINISH_MARKED,
          MoveHook.Point.FINISH_DELETED,
          MoveHook.Point.FINISH_REMOVED);

  private static EndState reference;

  private final List<InProcessCluster> clusters = new ArrayList<>();

  @AfterEach
  void stop() {
    clusters.forEach(InProcessCluster::close);
  }

  /** What a run leaves, compared between runs. */
  private record EndState(
      Map<String, List<Integer>> copies,
      Map<String, List<Descriptor>> descriptors,
      Set<Set<String>> partition,
      long records,
      long entities) {}

  static Stream<Arguments> boundaries() {
    return Stream.of(MoveHook.Point.values())
        .flatMap(p -> Stream.of(Arguments.of(p, false), Arguments.of(p, true)));
  }

  @Test
  void reconcile_withoutFaults_colocatesEveryComponentOnce() {
    EndState ref = reference();

    assertThat(ref.copies())
        .hasSize(WORKLOAD.size())
        .allSatisfy((id, on) -> assertThat(on).hasSize(1));
    assertThat(ref.partition())
        .as("entities: the pairs, the triple, the lone records")
        .hasSize(7)
        .allSatisfy(
            entity ->
                assertThat(entity.stream().map(id -> ref.copies().get(id)).distinct()).hasSize(1));
    assertThat(ref.records()).isEqualTo(WORKLOAD.size());
    assertThat(ref.entities()).isEqualTo(7);
    assertThat(ref.descriptors().values()).allSatisfy(ds -> assertThat(tag(ds)).isEqualTo("late"));
  }

  @ParameterizedTest(name = "{0}, steps twice: {1}")
  @MethodSource("boundaries")
  void reconcile_afterFaultAtBoundary_endsAsWithoutFaults(MoveHook.Point point, boolean twice) {
    InProcessCluster cluster = cluster();
    RouterServer a = cluster.router("a", SHORT_LEASE);
    RouterServer b = cluster.router("b", LONG_LEASE);
    TemporaServiceBlockingStub writer = cluster.client("b");
    setUp(cluster, writer);
    AtomicBoolean died = new AtomicBoolean();
    boolean finishing = FINISHING.contains(point);
    a.moveHook(
        new Faulty(
            finishing ? MoveHook.Point.BEFORE_CAS : point,
            finishing ? MoveHook.Point.AFTER_CAS : point,
            writer,
            twice,
            died));
    assertThatThrownBy(() -> cluster.reconcile("a")).isInstanceOf(StatusRuntimeException.class);
    assertThat(died).as("router a died at its point").isTrue();
    if (finishing) {
      RouterServer c = cluster.router("c", SHORT_LEASE);
      AtomicBoolean cDied = new AtomicBoolean();
      c.moveHook(new Faulty(null, point, writer, twice, cDied));
      assertThatThrownBy(() -> cluster.reconcile("c")).isInstanceOf(StatusRuntimeException.class);
      assertThat(cDied).as("router c died while finishing").isTrue();
    }
    b.moveHook(new Faulty(null, null, writer, twice, new AtomicBoolean()));

    cluster.reconcile("b"); // takes the lease once the dead router's has expired

    assertSettledAsReference(cluster);
  }

  /**
   * A hook that upserts every workload record through the writer at {@code write} and throws at
   * {@code die} (each at most once), repeating every step when {@code twice}.
   */
  private static final class Faulty implements MoveHook {
    private final Point write;
    private final Point die;
    private final TemporaServiceBlockingStub writer;
    private final boolean twice;
    private final AtomicBoolean died;
    private final AtomicBoolean written = new AtomicBoolean();

    Faulty(
        Point write,
        Point die,
        TemporaServiceBlockingStub writer,
        boolean twice,
        AtomicBoolean died) {
      this.write = write;
      this.die = die;
      this.writer = writer;
      this.twice = twice;
      this.died = died;
    }

    @Override
    public void at(Point point, List<Identity> ids) {
      if (point == write && written.compareAndSet(false, true)) {
        upsertLate(writer);
      }
      if (point == die && died.compareAndSet(false, true)) {
        throw new IllegalStateException("the router dies at " + point);
      }
    }

    @Override
    public boolean repeat(Point point) {
      return twice;
    }
  }

  private void assertSettledAsReference(InProcessCluster cluster) {
    for (int s = 0; s < cluster.size(); s++) {
      assertThat(cluster.pending(s)).as("move journal entries on shard %d", s).isZero();
      assertThat(cluster.carryMarks(s)).as("carry-over marks on shard %d", s).isZero();
    }
    ReconcileResponse further = cluster.reconcile("b");
    assertThat(further.getJournalFinished()).as("entries finished by a further Reconcile").isZero();
    assertThat(further.getMoved()).as("records moved by a further Reconcile").isZero();
    assertThat(further.getStaleCopiesRemoved()).as("stale copies removed then").isZero();
    assertThat(endState(cluster, cluster.client("b"))).isEqualTo(reference());
  }

  private InProcessCluster cluster() {
    InProcessCluster c = InProcessCluster.start(3, shard -> null);
    clusters.add(c);
    return c;
  }

  /** The ontology set, a first (empty) round by "a", then the workload written through "b". */
  private static void setUp(InProcessCluster cluster, TemporaServiceBlockingStub writer) {
    writer.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    cluster.reconcile("a");
    writer.ingest(IngestRequest.newBuilder().addAllRecords(WORKLOAD).build());
  }

  /** The same writes, no fault, one Reconcile (computed once). */
  private static synchronized EndState reference() {
    if (reference == null) {
      try (InProcessCluster cluster = InProcessCluster.start(3, shard -> null)) {
        cluster.router("a", LONG_LEASE);
        TemporaServiceBlockingStub writer = cluster.client("a");
        setUp(cluster, writer);
        upsertLate(writer);
        ReconcileResponse r = cluster.reconcile("a");
        assertThat(r.getMoved()).as("records the reference run moves").isPositive();
        reference = endState(cluster, writer);
      }
    }
    return reference;
  }

  private static EndState endState(InProcessCluster cluster, TemporaServiceBlockingStub client) {
    Map<String, List<Integer>> copies = new TreeMap<>();
    Map<String, List<Descriptor>> descriptors = new TreeMap<>();
    for (int s = 0; s < cluster.size(); s++) {
      for (Record r : cluster.live(s)) {
        copies.computeIfAbsent(r.getIdentity().getUid(), k -> new ArrayList<>()).add(s);
        descriptors.put(r.getIdentity().getUid(), r.getDescriptorsList());
      }
    }
    Map<Long, Set<String>> byEntity = new TreeMap<>();
    for (Record r : WORKLOAD) {
      long entity =
          client
              .getRecord(GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build())
              .getEntityId();
      byEntity.computeIfAbsent(entity, k -> new TreeSet<>()).add(r.getIdentity().getUid());
    }
    GetStatsResponse stats = client.getStats(GetStatsRequest.getDefaultInstance());
    return new EndState(
        copies,
        descriptors,
        new HashSet<>(byEntity.values()),
        stats.getRecords(),
        stats.getEntities());
  }

  private static void upsertLate(TemporaServiceBlockingStub writer) {
    IngestRequest.Builder late = IngestRequest.newBuilder();
    for (Record r : WORKLOAD) {
      late.addRecords(ContactRecords.tagged(r, "late"));
    }
    writer.ingest(late.build());
  }

  /**
   * 4 pairs linked by a phone and homed on different shards, 3 records linked by a phone on three
   * shards, 2 lone records.
   */
  private static List<Record> workload() {
    List<Record> out = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      Record a = record("p" + p + "-a", "phone", "p" + p);
      out.add(a);
      out.add(linked("p" + p, Set.of(shard(a))));
    }
    Record t = record("t-a", "phone", "t");
    Record u = linked("t", Set.of(shard(t)));
    out.addAll(List.of(t, u, linked("t", Set.of(shard(t), shard(u)))));
    out.add(record("lone-1", "email", "lone-1@x"));
    out.add(record("lone-2", "email", "lone-2@x"));
    return out;
  }

  /** A record holding {@code phone} and an email homing it on none of {@code avoid}. */
  private static Record linked(String phone, Set<Integer> avoid) {
    for (int i = 0; ; i++) {
      Record r =
          record(phone + "-" + i, "email", phone + "-" + i + "@x").toBuilder()
              .addDescriptors(Descriptor.newBuilder().setAttr("phone").setValue(phone))
              .build();
      if (!avoid.contains(shard(r))) {
        return r;
      }
    }
  }

  private static int shard(Record r) {
    return MAP.shardOfSlot(SIGS.homeSlot(r));
  }
}
