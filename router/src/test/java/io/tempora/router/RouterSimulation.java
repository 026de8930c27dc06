package io.tempora.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.oracle.Op;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.grpc.ReadSnapshot;
import io.tempora.shardserver.grpc.ReferenceShard;
import io.tempora.shardserver.grpc.WorkloadRequests;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One seed of DISTRIBUTED.md DS-T9: a cluster of 1–3 in-process shards and 1–2 routers ({@link
 * SimCluster}), a small workload of the engine's {@link WorkloadGenerator} (cross-key chains,
 * strong-id conflicts, upserts changing key values, deletes; cut to at most 20 records, upserts
 * split into requests of 1–3, plus up to 2 "bridge" records linking two of them) sent by a client
 * that resends what failed with UNAVAILABLE, interleaved with Reconcile calls and faults,
 * everything chosen by one {@link Random} of the seed:
 *
 * <ul>
 *   <li>drops of router → shard calls, before or after the shard applied them ({@link SimFaults});
 *   <li>delays: a client request is held and sent later, between steps, or from inside a round
 *       through the other router at the k-th {@link MoveHook.Point} the round reaches (a held
 *       request, or a new upsert of a record being moved: the write races the move);
 *   <li>router crashes: the reconciling router's hook throws at the k-th boundary (the round stops
 *       there, as in RoundFaultInjectionTest) and the router is replaced by a new one; steps run
 *       twice ({@link MoveHook#repeat});
 *   <li>shard restarts: a shard stops (between steps or at a boundary of a round) and starts again
 *       later on the same store and directory.
 * </ul>
 *
 * <p>Then faults stop, stopped shards start, the client resends everything not yet acknowledged
 * until it is, and one fault-free Reconcile runs. Checked: no move journal entry pending; the live
 * identities are exactly those of the acknowledged writes (in acknowledgement order), each live on
 * exactly one shard; DS-T1 equivalence ({@link ReadSnapshot}) with a single engine fed the
 * acknowledged requests in acknowledgement order; a further Reconcile moves, finishes and removes
 * nothing.
 *
 * <p>Deterministic: every call runs in the simulation's thread (in-process servers run calls in the
 * calling thread, channels are direct, routers fan out in the calling thread; a round's hook runs
 * in it too), and the lease's time is virtual (moved on by the schedule), so the calls and the
 * random decisions come in the same order for a seed. Not deterministic: real durations (gRPC
 * deadlines), gRPC's timer threads, log lines. Not thread-safe; run once.
 */
final class RouterSimulation {
  private static final int MAX_RECORDS = 20;
  private static final int MAX_STEPS = 30;
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final WorkloadGenerator GENERATOR = new WorkloadGenerator();

  private final long seed;
  private final Random random;
  private final SimFaults faults;
  private final Workload workload;
  private final int shardCount;
  private final int routerCount;
  private final Deque<Request> unsent = new ArrayDeque<>();
  private final List<Request> held = new ArrayList<>();
  private final List<Request> inDoubt = new ArrayList<>();
  private final List<Acked> acked = new ArrayList<>();
  private final List<Client> clients = new ArrayList<>();
  private final SimStats stats = new SimStats();
  private final List<RecordInput> upserted;
  private SimCluster cluster;
  private String lastHolder = "";
  private int routersStarted;
  private int touches;

  /** A request: its position in the workload (negative: written inside a round), and op. */
  private record Request(int index, Op op) {}

  /** A request the client saw answered (OK or a definite error), in answer order. */
  private record Acked(Request request, Status.Code code) {}

  /** A live router and the client's stubs to it. */
  private record Client(
      String id,
      RouterServer server,
      TemporaServiceBlockingStub stub,
      RouterGrpc.RouterBlockingStub admin) {}

  /**
   * @param seed decides everything
   * @param sabotage run with a seeded bug ({@link SimFaults}) to show that it is caught
   */
  RouterSimulation(long seed, boolean sabotage) {
    this.seed = seed;
    this.random = new Random(seed);
    int roll = random.nextInt(10);
    this.shardCount = roll < 2 ? 1 : roll < 6 ? 2 : 3;
    this.routerCount = 1 + random.nextInt(2);
    this.faults = new SimFaults(random, 5 * random.nextInt(4), sabotage);
    this.workload = GENERATOR.generate(seed);
    List<Op> ops = cut(workload.ops(), 2 + random.nextInt(MAX_RECORDS - 1));
    ops.addAll(bridges(ops, random.nextInt(3)));
    for (int i = 0; i < ops.size(); i++) {
      unsent.add(new Request(i, ops.get(i)));
    }
    this.upserted =
        ops.stream()
            .flatMap(op -> op instanceof Op.Upsert u ? u.records().stream() : Stream.empty())
            .toList();
  }

  /** The trace of the schedule so far. */
  String trace() {
    return faults.trace();
  }

  /**
   * Runs the seed.
   *
   * @return what happened
   * @throws AssertionError if a check failed (the trace says what ran)
   */
  SimStats run() {
    faults.note(
        "seed "
            + seed
            + ": "
            + shardCount
            + " shard(s), "
            + routerCount
            + " router(s), "
            + unsent.size()
            + " requests");
    try (SimCluster c = new SimCluster(shardCount, faults)) {
      cluster = c;
      for (int i = 0; i < routerCount; i++) {
        startRouter();
      }
      clients
          .get(0)
          .stub()
          .setOntology(
              SetOntologyRequest.newBuilder()
                  .setOntology(WorkloadRequests.ontology(workload, ""))
                  .build());
      faults.enabled(true);
      schedule();
      faults.enabled(false);
      settle();
      check();
      stats.drops = faults.drops();
      return stats;
    }
  }

  /**
   * The ops up to {@code records} upserted records, each upsert split into requests of 1–3 records
   * (identities are unique within a batch, so the split changes no outcome; more requests make more
   * interleavings).
   */
  private List<Op> cut(List<Op> ops, int records) {
    List<Op> out = new ArrayList<>();
    int left = records;
    for (Op op : ops) {
      if (left == 0) {
        break;
      }
      if (op instanceof Op.Upsert u) {
        List<RecordInput> rs = u.records().subList(0, Math.min(left, u.records().size()));
        left -= rs.size();
        for (int i = 0; i < rs.size(); ) {
          int n = Math.min(1 + random.nextInt(3), rs.size() - i);
          out.add(new Op.Upsert(rs.subList(i, i + n)));
          i += n;
        }
      } else {
        out.add(op);
      }
    }
    return out;
  }

  /**
   * Up to {@code n} upserts of a new record holding the descriptors of two upserted records of one
   * entity type: it links to both (a cross-key chain when they are homed apart), which gives the
   * rounds components to move.
   */
  private List<Op> bridges(List<Op> ops, int n) {
    List<RecordInput> upserted =
        ops.stream()
            .flatMap(op -> op instanceof Op.Upsert u ? u.records().stream() : Stream.empty())
            .toList();
    List<Op> out = new ArrayList<>();
    for (int i = 0; i < n && upserted.size() > 1; i++) {
      RecordInput a = upserted.get(random.nextInt(upserted.size()));
      RecordInput b = upserted.get(random.nextInt(upserted.size()));
      if (a.identity().equals(b.identity())
          || !a.identity().entityType().equals(b.identity().entityType())) {
        continue;
      }
      List<io.tempora.engine.model.Descriptor> both = new ArrayList<>(a.descriptors());
      both.addAll(b.descriptors());
      io.tempora.engine.model.Identity id =
          io.tempora.engine.model.Identity.of(
              a.identity().entityType(), a.identity().perspective(), "bridge-" + i);
      out.add(new Op.Upsert(List.of(new RecordInput(id, both))));
    }
    return out;
  }

  private void schedule() {
    for (int step = 0; step < MAX_STEPS; step++) {
      if (unsent.isEmpty() && held.isEmpty() && inDoubt.isEmpty() && random.nextInt(3) == 0) {
        return;
      }
      cluster.advance(Duration.ofMillis(1));
      int down = firstDown();
      if (down >= 0 && random.nextInt(100) < 30) {
        cluster.startShard(down);
        faults.note("shard " + down + " started");
        continue;
      }
      int roll = random.nextInt(100);
      if (roll < 35 && !unsent.isEmpty()) {
        send(unsent.poll(), pick());
      } else if (roll < 45 && !unsent.isEmpty()) {
        Request r = unsent.poll();
        held.add(r);
        faults.note("hold #" + r.index());
      } else if (roll < 55 && !held.isEmpty()) {
        send(held.remove(random.nextInt(held.size())), pick());
      } else if (roll < 65 && !inDoubt.isEmpty()) {
        stats.resends++;
        send(inDoubt.remove(random.nextInt(inDoubt.size())), pick());
      } else if (roll < 95 || down >= 0) {
        reconcile(pick(), SimHook.random(random, this));
      } else {
        stopShard(random.nextInt(cluster.size()));
      }
      if (firstDown() < 0) {
        checkIdsActiveOnce();
      }
    }
  }

  /**
   * No entity id is held by live records on two shards, at any step boundary of the schedule (a
   * reconciliation move gives an entity its id back only once the source deleted it,
   * docs/decisions.md D3).
   */
  private void checkIdsActiveOnce() {
    Map<Long, Integer> holder = new HashMap<>();
    for (int s = 0; s < cluster.size(); s++) {
      for (long id : cluster.liveEntities(s)) {
        Integer other = holder.putIfAbsent(id, s);
        assertThat(other)
            .as(
                "entity %s holds live records on shard %d and shard %d",
                Long.toUnsignedString(id), other, s)
            .isNull();
      }
    }
  }

  private Client pick() {
    return clients.get(random.nextInt(clients.size()));
  }

  /**
   * Sends one request through {@code via}: OK or a definite error acknowledges it, UNAVAILABLE
   * leaves it in doubt (to resend).
   */
  private void send(Request r, Client via) {
    stats.requests++;
    String what =
        (r.index() < 0 ? "late#" + -r.index() : "#" + r.index())
            + " "
            + describe(r.op())
            + " via "
            + via.id();
    try {
      TemporaServiceBlockingStub stub =
          via.stub().withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      switch (r.op()) {
        case Op.Upsert u -> stub.ingest(WorkloadRequests.ingest(u, ""));
        case Op.Delete d -> stub.delete(WorkloadRequests.delete(d, ""));
      }
      acked.add(new Acked(r, Status.Code.OK));
      faults.note(what + ": OK");
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      faults.note(what + ": " + code + " " + e.getStatus().getDescription());
      if (code == Status.Code.UNAVAILABLE) {
        inDoubt.add(r);
      } else {
        acked.add(new Acked(r, code));
      }
    }
  }

  private static String describe(Op op) {
    return switch (op) {
      case Op.Upsert u -> "upsert " + u.records().stream().map(x -> name(x.identity())).toList();
      case Op.Delete d -> "delete " + d.identities().stream().map(RouterSimulation::name).toList();
    };
  }

  private static String name(io.tempora.engine.model.Identity id) {
    return id.entityType().charAt(0) + "/" + id.perspective() + "/" + id.uid();
  }

  /**
   * A Reconcile through {@code via} with {@code hook} installed. The lease's time moves on past the
   * ttl first unless {@code via} reconciled last (a dead or idle holder's lease has lapsed; the
   * same router renews its own).
   */
  private ReconcileResponse reconcile(Client via, SimHook hook) {
    stats.reconciles++;
    if (!via.id().equals(lastHolder)) {
      cluster.advance(LEASE.plusMillis(1));
    }
    lastHolder = via.id();
    faults.note("reconcile via " + via.id() + hook.describe());
    via.server().moveHook(hook);
    try {
      ReconcileResponse r =
          via.admin()
              .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .reconcile(ReconcileRequest.getDefaultInstance());
      stats.moved += r.getMoved();
      faults.note(
          "  reconciled: moved "
              + r.getMoved()
              + ", stale copies removed "
              + r.getStaleCopiesRemoved()
              + ", journal entries finished "
              + r.getJournalFinished());
      return r;
    } catch (StatusRuntimeException e) {
      stats.failedReconciles++;
      faults.note(
          "  Reconcile failed: " + e.getStatus().getCode() + " " + e.getStatus().getDescription());
      return null;
    } finally {
      via.server().moveHook(MoveHook.NONE);
      if (hook.died()) {
        stats.crashes++;
        clients.remove(via);
        startRouter();
      }
    }
  }

  private void startRouter() {
    String id = "r" + ++routersStarted;
    boolean on = faultsOn();
    faults.enabled(false); // a router's start-up reads the shard map; not what is tested here
    RouterServer server = cluster.router(id, LEASE);
    faults.enabled(on);
    clients.add(
        new Client(
            id,
            server,
            TemporaServiceGrpc.newBlockingStub(cluster.channel(id)),
            RouterGrpc.newBlockingStub(cluster.channel(id))));
    faults.note("router " + id + " started");
  }

  private boolean faultsOn() {
    return faults.isEnabled();
  }

  /** The lowest stopped shard, or -1. */
  private int firstDown() {
    for (int s = 0; s < cluster.size(); s++) {
      if (!cluster.isUp(s)) {
        return s;
      }
    }
    return -1;
  }

  /** The number of shards (for {@link SimHook}). */
  int shards() {
    return cluster.size();
  }

  /** Whether shard {@code s} is up (for {@link SimHook}). */
  boolean isUp(int s) {
    return cluster.isUp(s);
  }

  /** Appends to the trace (for {@link SimHook}). */
  void note(String line) {
    faults.note(line);
  }

  void stopShard(int s) {
    stats.shardStops++;
    cluster.stopShard(s);
    faults.note("shard " + s + " stopped");
  }

  /** Faults off, shards up, every request acknowledged, one Reconcile. */
  private void settle() {
    faults.note("-- faults stop");
    for (int s = 0; s < cluster.size(); s++) {
      if (!cluster.isUp(s)) {
        cluster.startShard(s);
        faults.note("shard " + s + " started");
      }
    }
    List<Request> rest = new ArrayList<>(inDoubt);
    rest.addAll(held);
    rest.addAll(unsent);
    inDoubt.clear();
    held.clear();
    unsent.clear();
    for (Request r : rest) {
      for (int attempt = 0; attempt < 3 && !isAcked(r); attempt++) {
        inDoubt.remove(r);
        send(r, pick());
      }
      assertThat(isAcked(r)).as("request #%d acknowledged without faults", r.index()).isTrue();
    }
    ReconcileResponse last = reconcile(pick(), SimHook.none(this));
    assertThat(last).as("the final fault-free Reconcile succeeded").isNotNull();
  }

  private boolean isAcked(Request r) {
    return acked.stream().anyMatch(a -> a.request() == r);
  }

  private void check() {
    checkIdsActiveOnce();
    for (int s = 0; s < cluster.size(); s++) {
      assertThat(cluster.pending(s)).as("move journal entries pending on shard %d", s).isZero();
    }
    Map<String, List<Integer>> copies = new TreeMap<>();
    for (int s = 0; s < cluster.size(); s++) {
      for (Record r : cluster.live(s)) {
        copies.computeIfAbsent(key(r.getIdentity()), k -> new ArrayList<>()).add(s);
      }
    }
    List<Op> history =
        acked.stream().filter(a -> a.code() == Status.Code.OK).map(a -> a.request().op()).toList();
    Set<String> expected = new HashSet<>();
    for (RecordInput r : WorkloadGenerator.liveRecords(history)) {
      expected.add(key(WorkloadRequests.identity(r.identity(), "")));
    }
    assertThat(copies.keySet())
        .as("identities live on the shards = those of the acknowledged writes")
        .containsExactlyInAnyOrderElementsOf(expected);
    copies.forEach(
        (id, on) -> assertThat(on).as("shards holding a live copy of %s", id).hasSize(1));
    Client via = clients.get(0);
    try (ReferenceShard reference = new ReferenceShard()) {
      reference
          .stub()
          .setOntology(
              SetOntologyRequest.newBuilder()
                  .setOntology(WorkloadRequests.ontology(workload, ""))
                  .build());
      for (Acked a : acked) {
        Status.Code engine = codeOf(reference.stub(), a.request().op());
        assertThat(a.code())
            .as(
                "request #%d: the router's answer (expected: the single engine's)",
                a.request().index())
            .isEqualTo(engine);
      }
      List<QueryEntitiesRequest> queries =
          WorkloadRequests.queries(GENERATOR.queries(workload, seed), "");
      String want = ReadSnapshot.snapshot(reference.stub(), "", workload.entityTypes(), queries);
      String got = ReadSnapshot.snapshot(via.stub(), "", workload.entityTypes(), queries);
      assertThat(got)
          .as(
              "reads through the router = reads of one engine (DS-T1); %s",
              firstDifference(want, got))
          .isEqualTo(want);
    }
    ReconcileResponse further = reconcile(via, SimHook.none(this));
    assertThat(further).as("a further Reconcile succeeded").isNotNull();
    assertThat(further.getMoved()).as("records moved by a further Reconcile").isZero();
    assertThat(further.getJournalFinished()).as("entries finished by a further Reconcile").isZero();
    assertThat(further.getStaleCopiesRemoved()).as("stale copies removed then").isZero();
  }

  /** Where two snapshots first differ, for the failure message. */
  private static String firstDifference(String want, String got) {
    List<String> w = want.lines().toList();
    List<String> g = got.lines().toList();
    for (int i = 0; i < Math.max(w.size(), g.size()); i++) {
      String a = i < w.size() ? w.get(i) : "<end>";
      String b = i < g.size() ? g.get(i) : "<end>";
      if (!a.equals(b)) {
        return "first difference at line " + (i + 1) + ": expected [" + a + "] but was [" + b + "]";
      }
    }
    return "no line differs";
  }

  private static String key(Identity id) {
    return id.getEntityType() + "/" + id.getPerspective() + "/" + id.getUid();
  }

  private static Status.Code codeOf(TemporaServiceBlockingStub stub, Op op) {
    try {
      switch (op) {
        case Op.Upsert u -> stub.ingest(WorkloadRequests.ingest(u, ""));
        case Op.Delete d -> stub.delete(WorkloadRequests.delete(d, ""));
      }
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /**
   * A client write landing between two steps of a round, through a router other than the one
   * reconciling (if there is one): half the time, when the boundary names a move's records, a new
   * upsert of one of them (its workload content plus a {@code title} descriptor), so that it races
   * the move of that record; otherwise a held request.
   */
  void writeInRound(MoveHook.Point point, List<Identity> ids) {
    List<Client> others = clients.stream().filter(c -> !c.id().equals(lastHolder)).toList();
    if (others.isEmpty()) {
      return;
    }
    Client via = others.get(random.nextInt(others.size()));
    Request r = null;
    if (!ids.isEmpty() && random.nextBoolean()) {
      r = touch(ids.get(random.nextInt(ids.size())));
    }
    if (r == null && !held.isEmpty()) {
      r = held.remove(random.nextInt(held.size()));
    }
    if (r != null) {
      stats.writesInRound++;
      faults.note("  at " + point + ":");
      send(r, via);
    }
  }

  /**
   * A new request upserting {@code id} again with a new title, or null if it was never upserted.
   */
  private Request touch(Identity id) {
    io.tempora.engine.model.Identity target =
        io.tempora.engine.model.Identity.of(id.getEntityType(), id.getPerspective(), id.getUid());
    for (int i = upserted.size() - 1; i >= 0; i--) {
      RecordInput base = upserted.get(i);
      if (base.identity().equals(target)) {
        List<io.tempora.engine.model.Descriptor> ds = new ArrayList<>(base.descriptors());
        ds.add(io.tempora.engine.model.Descriptor.always("title", "late-" + touches));
        touches++;
        return new Request(-touches, new Op.Upsert(List.of(new RecordInput(target, ds))));
      }
    }
    return null;
  }
}
