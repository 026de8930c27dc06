package io.tempora.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.deploy.shard.MetricsText;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ChangeFeedStateResponse;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsResponse;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DISTRIBUTED.md DS-T3 with real processes: two shards and two routers, both reconciling through
 * the lease (polling every 100 ms, lease ttl 1.5 s), while one client writes new cross-shard pairs,
 * upserts and deletes through them; routers are SIGKILLed at random points, either while an ingest
 * through them is in flight or, as lease holder, right after a write through the other router was
 * acknowledged (its loop is then reconciling), and restarted. A write that failed is resent until
 * acknowledged (resending is safe). Afterwards: no acknowledged write lost (every identity live
 * with its last written descriptors, every deleted one gone), no identity live on two shards, and
 * reconciliation completes (rounds reach a round that moves nothing, every shard's cursor reaches
 * its head, every pair is one entity). Every second kill is forced between a move's directory CAS
 * and its carry-over instead (the routers' test hook, {@code tempora.test.move-crash-dir}): the
 * holder pauses before the CAS, the test upserts the moving records through the other router (the
 * write lands on the source), then the holder runs the CAS and halts; the next holder finishes the
 * move from the source's move journal. {@code -Dtempora.routerkill.kills=N} (4 by default, 25 with
 * {@code -Pextended}); the seed is logged and set with {@code -Dtempora.routerkill.seed}.
 */
class RouterKillIT {
  private static final Logger LOG = LoggerFactory.getLogger(RouterKillIT.class);
  private static final int KILLS = Integer.getInteger("tempora.routerkill.kills", 4);
  private static final long SEED = Long.getLong("tempora.routerkill.seed", System.nanoTime());
  private static final int PAIRS_PER_BATCH = 6;
  private static final Ontology ONTOLOGY =
      Ontology.newBuilder()
          .addIdentityKeys(IdentityKey.newBuilder().setName("by-email").addAttributes("email"))
          .addIdentityKeys(IdentityKey.newBuilder().setName("by-phone").addAttributes("phone"))
          .build();
  private static final List<String> ROUTER_FLAGS =
      List.of("--reconcile-staleness-ms", "400", "--reconcile-lease-ttl-ms", "1500");

  @TempDir Path tmp;

  private final List<Processes.Proc> shards = new ArrayList<>();
  private final Router[] routers = new Router[2];
  private int started;

  /** A router process and its /metrics port. */
  private record Router(Processes.Proc proc, int http) {}

  /** Expected final state: identity uid → descriptors of its last acknowledged write. */
  private final Map<String, List<Descriptor>> live = new LinkedHashMap<>();

  private final Set<String> deleted = new TreeSet<>();

  /** The batch that created each identity. */
  private final Map<String, Integer> createdIn = new HashMap<>();

  /** Every batch below this one was reconciled by a completed Reconcile call. */
  private int settled;

  @AfterEach
  void stop() {
    for (Router r : routers) {
      if (r != null) {
        r.proc().close();
      }
    }
    shards.forEach(Processes.Proc::close);
  }

  @Test
  void routersKilledDuringIngestAndReconciliation_loseNoWriteAndReconciliationCompletes()
      throws Exception {
    LOG.info("RouterKillIT seed {} ({} kills)", SEED, KILLS);
    Random random = new Random(SEED);
    for (int i = 0; i < 2; i++) {
      shards.add(
          Processes.shard(
              i, Processes.freePort(), tmp.resolve("s" + i), tmp.resolve("s" + i + ".log")));
    }
    routers[0] = startRouter();
    routers[1] = startRouter();
    stub(routers[0]).setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());

    int batch = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      for (int quiet = random.nextInt(3); quiet > 0; quiet--) {
        write(random, batch++, routers[random.nextInt(2)], -1);
      }
      int victim;
      if (kill % 2 == 1) {
        // The lease holder, halted between a move's directory CAS and its carry-over, after a
        // write through the other router reached the move's source (the move journal's case).
        victim = haltAfterCas(random, batch);
        batch += 2;
      } else if (random.nextBoolean()) {
        // While an ingest through it is in flight.
        victim = random.nextInt(2);
        write(random, batch++, routers[victim], victim);
      } else {
        // The lease holder, once a write through the other router was acknowledged.
        victim = holder().orElse(random.nextInt(2));
        write(random, batch++, routers[1 - victim], -1);
        routers[victim].proc().kill();
      }
      LOG.info("kill {}: router {} SIGKILLed after batch {}", kill, victim, batch - 1);
      routers[victim] = startRouter();
      reconcileUntilQuiet(1); // takes the lease once the killed holder's has expired
      settled = batch;
    }
    write(random, batch++, routers[0], -1);

    List<ReconcileResponse> rounds = reconcileUntilQuiet(10);
    Map<String, List<Integer>> where = new TreeMap<>();
    Map<String, Record> found = new HashMap<>();
    for (int s = 0; s < shards.size(); s++) {
      for (Record r : liveRecords(shards.get(s))) {
        where.computeIfAbsent(r.getIdentity().getUid(), k -> new ArrayList<>()).add(s);
        found.put(r.getIdentity().getUid(), r);
      }
    }

    assertThat(rounds.getLast().getMoved() + rounds.getLast().getStaleCopiesRemoved())
        .as("the last of %d Reconcile calls moved nothing: %s", rounds.size(), rounds)
        .isZero();
    assertThat(where.entrySet().stream().filter(e -> e.getValue().size() > 1).toList())
        .as("identities live on two shards")
        .isEmpty();
    assertThat(where.keySet()).as("live identities").isEqualTo(live.keySet());
    for (var e : live.entrySet()) {
      assertThat(values(found.get(e.getKey()).getDescriptorsList()))
          .as("descriptors of %s", e.getKey())
          .isEqualTo(values(e.getValue()));
    }
    assertThat(deleted).doesNotContainAnyElementsOf(where.keySet());
    for (int s = 0; s < shards.size(); s++) {
      ChangeFeedStateResponse st =
          ShardGrpc.newBlockingStub(shards.get(s).channel())
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .changeFeedState(ChangeFeedStateRequest.getDefaultInstance());
      assertThat(st.getAcknowledged()).as("shard %d's cursor", s).isEqualTo(st.getHeadTx());
    }
    for (String uid : live.keySet()) {
      String other = uid.endsWith("-a") ? uid.replace("-a", "-b") : uid.replace("-b", "-a");
      if (uid.endsWith("-a") && live.containsKey(other)) {
        assertThat(entityOf(uid)).as("entity of the pair %s", uid).isEqualTo(entityOf(other));
      }
    }
  }

  private Router startRouter() throws IOException, InterruptedException {
    int http = Processes.freePort();
    List<String> flags = new ArrayList<>(ROUTER_FLAGS);
    flags.addAll(List.of("--http-listen", "127.0.0.1:" + http));
    Path crash = Files.createDirectories(tmp.resolve("crash"));
    String opts = System.getenv().getOrDefault("JAVA_OPTS", "");
    Processes.Proc p =
        Processes.router(
            Processes.freePort(),
            shards,
            tmp.resolve("router-" + started++ + ".log"),
            flags,
            Map.of("JAVA_OPTS", (opts + " -Dtempora.test.move-crash-dir=" + crash).trim()));
    return new Router(p, http);
  }

  /**
   * Arms the routers' test hook (router MoveCrashHook), writes batch {@code batch} of new pairs so
   * that the lease holder's loop moves records; when the holder's move pauses before its directory
   * CAS, upserts the moving identities through the other router (batch {@code batch + 1}: the write
   * lands on the source, acknowledged), then lets the move go on: the holder runs the CAS and halts
   * before the carry-over. Returns the halted router's index (restarted by the caller).
   */
  private int haltAfterCas(Random random, int batch) throws Exception {
    Path crash = tmp.resolve("crash");
    Files.createFile(crash.resolve("arm"));
    // Through the router not holding the lease: the holder's client writes wait for its rounds.
    write(random, batch, routers[1 - holder().orElse(0)], -1);
    Path paused = crash.resolve("paused");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(paused)) {
      assertThat(System.nanoTime()).as("waiting for a move to pause").isLessThan(until);
      TimeUnit.MILLISECONDS.sleep(20);
    }
    List<String> lines = Files.readAllLines(paused);
    long pid = Long.parseLong(lines.getFirst());
    int victim = routers[0].proc().process().pid() == pid ? 0 : 1;
    assertThat(routers[victim].proc().process().pid()).as("the paused router").isEqualTo(pid);
    IngestRequest.Builder in = IngestRequest.newBuilder();
    for (String line : lines.subList(1, lines.size())) {
      String uid = line.split("\t")[2];
      if (!live.containsKey(uid)) {
        continue; // deleted after the round read it: the move carries the delete over
      }
      List<Descriptor> now = new ArrayList<>();
      for (Descriptor x : live.get(uid)) {
        now.add(x.getAttr().equals("name") ? d("name", "v" + (batch + 1)) : x);
      }
      in.addRecords(record(uid, now));
    }
    IngestRequest late = in.build();
    if (late.getRecordsCount() > 0) {
      // Not through the paused router: its client writes wait for its round.
      stub(routers[1 - victim]).ingest(late);
    }
    for (Record r : late.getRecordsList()) {
      live.put(r.getIdentity().getUid(), r.getDescriptorsList());
    }
    Files.createFile(crash.resolve("go"));
    Process p = routers[victim].proc().process();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the router halts after the CAS").isTrue();
    assertThat(p.exitValue()).as("its exit status (Runtime.halt(137))").isEqualTo(137);
    routers[victim].proc().close();
    LOG.info("router {} halted after the CAS of {} records", victim, late.getRecordsCount());
    try (var files = Files.list(crash)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    return victim;
  }

  private static TemporaServiceGrpc.TemporaServiceBlockingStub stub(Router r) {
    return TemporaServiceGrpc.newBlockingStub(r.proc().channel())
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** The router whose /metrics says it holds the lease, if one does. */
  private java.util.OptionalInt holder() throws IOException, InterruptedException {
    for (int i = 0; i < routers.length; i++) {
      String text = MetricsText.scrape(routers[i].http());
      if (text.lines().anyMatch(l -> l.matches("tempora_reconcile_lease_held 1(\\.0)?"))) {
        return java.util.OptionalInt.of(i);
      }
    }
    return java.util.OptionalInt.empty();
  }

  /**
   * One batch through {@code via}: {@value #PAIRS_PER_BATCH} new pairs linked by a phone (their
   * routing keys differ, so about half span the shards), upserts of earlier identities (a new
   * name), and a delete of one earlier identity; with {@code kill} ≥ 0, router {@code kill} is
   * SIGKILLed while the ingest is in flight. A failed write is resent through the other router
   * until acknowledged.
   */
  private void write(Random random, int batch, Router via, int kill) throws Exception {
    IngestRequest.Builder in = IngestRequest.newBuilder();
    for (int p = 0; p < PAIRS_PER_BATCH; p++) {
      String k = batch + "." + p;
      in.addRecords(record(k + "-a", List.of(d("phone", "t" + k), d("name", "v0"))));
      in.addRecords(
          record(
              k + "-b", List.of(d("email", "e" + k + "@x"), d("phone", "t" + k), d("name", "v0"))));
    }
    // Upserts and deletes only touch identities written before the last completed Reconcile:
    // their pairs are co-located and no new record links to them, so no move races them. The
    // race of a source write with a move whose holder dies after the CAS is forced instead by
    // haltAfterCas (the move journal's case).
    List<String> earlier = new ArrayList<>();
    live.keySet().stream().filter(uid -> createdIn.get(uid) < settled).forEach(earlier::add);
    List<String> upsertable = new ArrayList<>(earlier);
    for (int u = 0; u < 4 && !upsertable.isEmpty(); u++) {
      // Distinct identities: one request may not name an identity twice (INVALID_ARGUMENT).
      String uid = upsertable.remove(random.nextInt(upsertable.size()));
      List<Descriptor> now = new ArrayList<>();
      for (Descriptor x : live.get(uid)) {
        now.add(x.getAttr().equals("name") ? d("name", "v" + batch) : x);
      }
      in.addRecords(record(uid, now));
    }
    IngestRequest request = in.build();
    Router target = via;
    if (kill >= 0) {
      var call =
          TemporaServiceGrpc.newFutureStub(via.proc().channel())
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .ingest(request);
      // A few calls through the victim first, so that the kill lands at varying points of the
      // ingest (resolve, sub-batches, re-check) and of the victim's reconciliation round.
      for (int n = random.nextInt(3); n > 0; n--) {
        try {
          stub(via).getStats(GetStatsRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
          checkRetryable(e);
        }
      }
      via.proc().kill();
      try {
        call.get();
        target = null; // acknowledged before the kill
      } catch (ExecutionException e) {
        checkRetryable(e.getCause());
        target = routers[1 - kill];
      }
    }
    if (target != null) {
      resend(target, r -> stub(r).ingest(request));
    }
    for (Record r : request.getRecordsList()) {
      live.put(r.getIdentity().getUid(), r.getDescriptorsList());
      createdIn.putIfAbsent(r.getIdentity().getUid(), batch);
    }
    if (batch % 3 == 2 && earlier.size() > 2) {
      String uid = earlier.get(random.nextInt(earlier.size()));
      if (live.containsKey(uid)
          && !request.getRecordsList().stream()
              .anyMatch(r -> r.getIdentity().getUid().equals(uid))) {
        DeleteRequest d = DeleteRequest.newBuilder().addIdentities(identity(uid)).build();
        resend(target == null ? routers[1 - kill] : target, r -> stub(r).delete(d));
        live.remove(uid);
        deleted.add(uid);
      }
    }
  }

  /** Sends through {@code first}, then alternately through both routers, until acknowledged. */
  private void resend(Router first, java.util.function.Consumer<Router> send) {
    Router r = first;
    for (int attempt = 0; ; attempt++) {
      try {
        send.accept(r);
        return;
      } catch (StatusRuntimeException e) {
        checkRetryable(e);
        assertThat(attempt).as("attempts of a write (last: %s)", e.getStatus()).isLessThan(20);
        r = routers[(java.util.Arrays.asList(routers).indexOf(r) + 1) % routers.length];
      }
    }
  }

  /** A write that failed because its router died (or a shard call it made did) may be resent. */
  private static void checkRetryable(Throwable t) {
    Status.Code code = Status.fromThrowable(t).getCode();
    assertThat(code)
        .as("a failed write's status: %s", Status.fromThrowable(t))
        .isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED, Status.Code.DEADLINE_EXCEEDED);
  }

  /**
   * Reconcile calls (through whichever router gets the lease) until one moves nothing and removes
   * no stale copy, at most {@code max} that got the lease.
   */
  private List<ReconcileResponse> reconcileUntilQuiet(int max) {
    List<ReconcileResponse> calls = new ArrayList<>();
    for (int i = 0; i < 10 * routers.length && calls.size() < max; i++) {
      Router r = routers[i % routers.length];
      try {
        ReconcileResponse answer =
            RouterGrpc.newBlockingStub(r.proc().channel())
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .reconcile(ReconcileRequest.getDefaultInstance());
        calls.add(answer);
        if (answer.getMoved() == 0 && answer.getStaleCopiesRemoved() == 0) {
          break;
        }
      } catch (StatusRuntimeException e) {
        // The other router holds the lease (FAILED_PRECONDITION naming it): ask that one.
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      }
    }
    assertThat(calls).as("Reconcile calls that got the lease").isNotEmpty();
    return calls;
  }

  private static List<Record> liveRecords(Processes.Proc shard) {
    List<Record> out = new ArrayList<>();
    long after = 0;
    do {
      ListLiveRecordsResponse page =
          ShardGrpc.newBlockingStub(shard.channel())
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .listLiveRecords(ListLiveRecordsRequest.newBuilder().setAfterEntityId(after).build());
      out.addAll(page.getRecordsList());
      after = page.getNextAfterEntityId();
    } while (after != 0);
    return out;
  }

  private long entityOf(String uid) {
    return stub(routers[0])
        .getRecord(GetRecordRequest.newBuilder().setIdentity(identity(uid)).build())
        .getEntityId();
  }

  private static Set<String> values(List<Descriptor> ds) {
    Set<String> out = new TreeSet<>();
    ds.forEach(x -> out.add(x.getAttr() + "=" + x.getValue()));
    return out;
  }

  private static Identity identity(String uid) {
    return Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid).build();
  }

  private static Record record(String uid, List<Descriptor> descriptors) {
    return Record.newBuilder().setIdentity(identity(uid)).addAllDescriptors(descriptors).build();
  }

  private static Descriptor d(String attr, String value) {
    return Descriptor.newBuilder().setAttr(attr).setValue(value).build();
  }
}
