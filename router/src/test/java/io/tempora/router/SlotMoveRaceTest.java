package io.tempora.router;

import static io.tempora.router.ContactRecords.ONTOLOGY;
import static io.tempora.router.ContactRecords.record;
import static io.tempora.router.ContactRecords.tagOf;
import static io.tempora.router.ContactRecords.tagged;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.internal.v1.RebalanceRequest;
import io.tempora.proto.internal.v1.RebalanceResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.SlotRange;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.EntityStatus;
import io.tempora.proto.v1.ExplainRequest;
import io.tempora.proto.v1.ExportRequest;
import io.tempora.proto.v1.ExportRowsRequest;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.RecordStatus;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Slot moves racing client writes and unfinished reconciliation moves (docs/distributed.md
 * "Rebalancing"), 3 in-process shards behind real gRPC, the interleavings forced by a one-shot
 * action on a shard call ({@link InProcessCluster.Trap}) and by a router's {@link MoveHook}: a
 * write held by a freeze, or a read held by the switch, longer than {@code rebalance.max_freeze} is
 * refused without being applied; a read sent while the moved record is live on both shards waits
 * for the clean and counts it once; a slot move after a lease holder died between a move's
 * directory CAS and its carry-over finishes the journaled move first and loses nothing.
 */
class SlotMoveRaceTest {
  private static final Signatures SIGS = new Signatures(ONTOLOGY);
  private static final ShardMap MAP = new ShardMap(3);

  /** Runs once, before the next call of the armed method reaches the shard's handler. */
  private final AtomicReference<InProcessCluster.Trap> trap = new AtomicReference<>();

  private InProcessCluster cluster;

  @BeforeEach
  void start() {
    cluster = InProcessCluster.start(3, shard -> InProcessCluster.trap(shard, trap));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private RouterGrpc.RouterBlockingStub admin(String router) {
    return RouterGrpc.newBlockingStub(cluster.channel(router))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private static RebalanceRequest move(int slot, int to) {
    return RebalanceRequest.newBuilder()
        .addMove(SlotRange.newBuilder().setFirst(slot).setLast(slot))
        .setTo(to)
        .setWait(true)
        .build();
  }

  @Test
  void requests_heldByFreezeLongerThanMaxFreeze_areUnavailableAndUnapplied() {
    cluster.router(
        "a",
        Duration.ofSeconds(30),
        c -> c.withRebalance(new RouterConfig.RebalanceConfig(Duration.ofMillis(300))));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record old = record("old", "email", "old@x");
    Record fresh = record("fresh", "email", "fresh@x");
    client.ingest(IngestRequest.newBuilder().addRecords(old).build());
    List<Object> during = new ArrayList<>();
    // The flip stores the new map on the target first, inside the freeze (writes held) and the
    // switch (reads held): both last while this runs.
    Runnable inFreeze =
        () -> {
          during.add(
              outcome(() -> client.ingest(IngestRequest.newBuilder().addRecords(fresh).build())));
          during.add(
              outcome(
                  () ->
                      client.delete(
                          DeleteRequest.newBuilder().addIdentities(old.getIdentity()).build())));
          during.add(outcome(() -> client.getStats(GetStatsRequest.getDefaultInstance())));
        };
    trap.set(new InProcessCluster.Trap(1, "AssignSlots", inFreeze));

    RebalanceResponse moved = admin("a").rebalance(move(0, 1));

    assertThat(trap.get()).as("the writes ran inside the freeze").isNull();
    assertThat(moved.getSlotsPerShardList()).containsExactly(5460, 5462, 5462);
    for (int i = 0; i < 2; i++) {
      assertThat(during.get(i))
          .asInstanceOf(
              org.assertj.core.api.InstanceOfAssertFactories.type(StatusRuntimeException.class))
          .satisfies(
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getStatus().getDescription())
                    .startsWith("a slot move is freezing writes (held 300 ms")
                    .contains("rebalance.max_freeze 300 ms")
                    .endsWith("nothing was applied, retrying the request is safe");
              });
    }
    assertThat(during.get(2))
        .as("a read, held by the switch (from just before the flip)")
        .asInstanceOf(
            org.assertj.core.api.InstanceOfAssertFactories.type(StatusRuntimeException.class))
        .satisfies(
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .startsWith("a slot move is switching its slots to the target shard (held 300 ms")
                  .endsWith("retry the read");
            });
    assertThat(client.getStats(GetStatsRequest.getDefaultInstance()).getRecords())
        .as("a read after the move")
        .isEqualTo(1);
    assertThat(cluster.liveCopies(fresh.getIdentity())).as("the refused ingest").isEmpty();
    assertThat(cluster.liveCopies(old.getIdentity())).as("the refused delete").hasSize(1);
    assertThatThrownBy(
            () ->
                client.getRecord(
                    GetRecordRequest.newBuilder().setIdentity(fresh.getIdentity()).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    // Resent after the freeze: applied once, as new.
    assertThat(
            client
                .ingest(IngestRequest.newBuilder().addRecords(fresh).build())
                .getItems(0)
                .getOutcome())
        .isEqualTo(Outcome.OUTCOME_CREATED);
  }

  @Test
  void read_whileMovedRecordIsLiveOnBothShards_waitsForTheCleanAndCountsItOnce() {
    RouterServer router = cluster.router("a", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record moving = record("moving", "email", "moving@x");
    client.ingest(IngestRequest.newBuilder().addRecords(moving).build());
    int slot = SIGS.homeSlot(moving);
    int source = MAP.shardOfSlot(slot);
    int target = (source + 1) % cluster.size();
    List<CompletableFuture<Object>> reads = new ArrayList<>();
    ExecutorService readers = Executors.newFixedThreadPool(2);
    try {
      // The clean's first delete on the source: the target has activated the record, the source
      // still holds it. Reads sent now must not see it twice (stats) or miss it (its home row).
      trap.set(
          new InProcessCluster.Trap(
              source,
              "Delete",
              () -> {
                assertThat(cluster.liveCopies(moving.getIdentity()))
                    .as("live on both shards while the clean runs")
                    .containsExactlyInAnyOrder(source, target);
                reads.add(
                    CompletableFuture.supplyAsync(
                        () -> outcome(() -> client.getStats(GetStatsRequest.getDefaultInstance())),
                        readers));
                reads.add(
                    CompletableFuture.supplyAsync(
                        () ->
                            outcome(
                                () ->
                                    client.getRecord(
                                        GetRecordRequest.newBuilder()
                                            .setIdentity(moving.getIdentity())
                                            .build())),
                        readers));
                // Either both reads are held by the switch, or (without the hold) they answered.
                InProcessCluster.await(
                    () -> router.readsWaiting() == 2 || reads.stream().allMatch(Future::isDone),
                    "both reads held or answered");
              }));

      admin("a").rebalance(move(slot, target));

      assertThat(trap.get()).as("the reads were sent during the clean").isNull();
      assertThat(reads.get(0).join())
          .as("stats read during the switch")
          .isInstanceOfSatisfying(
              GetStatsResponse.class, r -> assertThat(r.getRecords()).isEqualTo(1));
      assertThat(reads.get(1).join())
          .as("the moved record read during the switch")
          .isInstanceOfSatisfying(
              GetRecordResponse.class,
              r -> assertThat(r.getStatus()).isEqualTo(RecordStatus.RECORD_STATUS_LIVE));
      assertThat(cluster.liveCopies(moving.getIdentity())).containsExactly(target);
    } finally {
      readers.shutdownNow();
    }
  }

  @Test
  void write_duringTheClean_isAppliedOnTheTargetAndKept() {
    cluster.router(
        "a",
        Duration.ofSeconds(30),
        c -> c.withRebalance(new RouterConfig.RebalanceConfig(Duration.ofMillis(300))));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record moving = record("moving", "email", "moving@x");
    client.ingest(IngestRequest.newBuilder().addRecords(moving).build());
    int slot = SIGS.homeSlot(moving);
    int source = MAP.shardOfSlot(slot);
    int target = (source + 1) % cluster.size();
    AtomicReference<Object> during = new AtomicReference<>();
    // The clean's first delete on the source: the target has activated, so writes go on.
    trap.set(
        new InProcessCluster.Trap(
            source,
            "Delete",
            () ->
                during.set(
                    outcome(
                        () ->
                            client.ingest(
                                IngestRequest.newBuilder()
                                    .addRecords(tagged(moving, "during-clean"))
                                    .build())))));

    admin("a").rebalance(move(slot, target));

    assertThat(during.get())
        .as("an upsert of the moving record during the clean")
        .isInstanceOfSatisfying(
            IngestResponse.class,
            r -> assertThat(r.getItems(0).getOutcome()).isEqualTo(Outcome.OUTCOME_UPDATED));
    assertThat(cluster.liveCopies(moving.getIdentity())).containsExactly(target);
    assertThat(tagOf(client, moving)).isEqualTo("during-clean");
  }

  @Test
  void readThroughOtherRouter_whileMovedRecordIsLiveOnBothShards_isRefusedBySourceNotDoubled() {
    cluster.router("a", Duration.ofSeconds(30));
    cluster.router("b", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("a");
    TemporaServiceBlockingStub other = cluster.client("b");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record moving = record("moving", "email", "moving@x");
    client.ingest(IngestRequest.newBuilder().addRecords(moving).build());
    int slot = SIGS.homeSlot(moving);
    int source = MAP.shardOfSlot(slot);
    int target = (source + 1) % cluster.size();
    AtomicReference<Object> during = new AtomicReference<>();
    // Router b knows nothing of a's move; the source, holding the flipped move row, holds b's
    // fan-out read (up to 2 s) and refuses it while the clean is paused here.
    trap.set(
        new InProcessCluster.Trap(
            source,
            "Delete",
            () ->
                during.set(
                    CompletableFuture.supplyAsync(
                            () ->
                                outcome(() -> other.getStats(GetStatsRequest.getDefaultInstance())))
                        .join())));

    admin("a").rebalance(move(slot, target));

    assertThat(during.get())
        .as("a stats read through router b during the clean")
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .contains(
                      "shard " + source + " is the source of slot move ",
                      ", switching its slots to shard " + target,
                      "reads wait for its clean (waited 2000 ms); retry");
            });
    assertThat(other.getStats(GetStatsRequest.getDefaultInstance()).getRecords())
        .as("the same read after the move")
        .isEqualTo(1);
  }

  @Test
  void pointReadThroughOtherRouter_duringActivation_waitsForItAndAnswersLive() {
    cluster.router("a", Duration.ofSeconds(30));
    cluster.router("b", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("a");
    TemporaServiceBlockingStub other = cluster.client("b");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record moving = record("moving", "email", "moving@x");
    client.ingest(IngestRequest.newBuilder().addRecords(moving).build());
    int slot = SIGS.homeSlot(moving);
    int source = MAP.shardOfSlot(slot);
    int target = (source + 1) % cluster.size();
    ExplainRequest explain =
        ExplainRequest.newBuilder().setA(moving.getIdentity()).setB(moving.getIdentity()).build();
    List<CompletableFuture<Object>> reads = new ArrayList<>();
    ExecutorService readers = Executors.newFixedThreadPool(2);
    try {
      // After the flip, before the target activates: router b learns the new map (a Rebalance
      // status call refreshes it) but not the move, so it sends point reads of the moving record
      // to the target alone, where the record is only staged.
      trap.set(
          new InProcessCluster.Trap(
              target,
              "FinishImport",
              () -> {
                assertThat(admin("b").rebalance(status()).getSlotsPerShard(target))
                    .as("router b's map names the target")
                    .isEqualTo(MAP.slotsPerShard()[target] + 1);
                reads.add(
                    CompletableFuture.supplyAsync(
                        () ->
                            outcome(
                                () ->
                                    other.getRecord(
                                        GetRecordRequest.newBuilder()
                                            .setIdentity(moving.getIdentity())
                                            .build())),
                        readers));
                reads.add(
                    CompletableFuture.supplyAsync(
                        () -> outcome(() -> other.explain(explain)), readers));
                // Either both reads are held by the target, or (without the hold) they answered.
                InProcessCluster.await(
                    () ->
                        cluster.shard(target).activationWaiters() == 2
                            || reads.stream().allMatch(Future::isDone),
                    "both reads held or answered");
              }));

      admin("a").rebalance(move(slot, target));

      assertThat(trap.get()).as("the reads were sent before the activation").isNull();
      assertThat(reads.get(0).join())
          .as("GetRecord through router b during the activation")
          .isInstanceOfSatisfying(
              GetRecordResponse.class,
              r -> assertThat(r.getStatus()).isEqualTo(RecordStatus.RECORD_STATUS_LIVE));
      assertThat(reads.get(1).join())
          .as("Explain through router b during the activation")
          .isEqualTo(other.explain(explain));
      assertThat(cluster.liveCopies(moving.getIdentity())).containsExactly(target);
    } finally {
      readers.shutdownNow();
    }
  }

  @Test
  void pointReadThroughOtherRouter_activationLongerThanTheHold_isUnavailableNamingTheMove() {
    cluster.router("a", Duration.ofSeconds(30));
    cluster.router("b", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("a");
    TemporaServiceBlockingStub other = cluster.client("b");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record moving = record("moving", "email", "moving@x");
    client.ingest(IngestRequest.newBuilder().addRecords(moving).build());
    int slot = SIGS.homeSlot(moving);
    int target = (MAP.shardOfSlot(slot) + 1) % cluster.size();
    GetRecordRequest get = GetRecordRequest.newBuilder().setIdentity(moving.getIdentity()).build();
    AtomicReference<Object> during = new AtomicReference<>();
    // The activation waits for the read: the target holds it 2 s, then refuses it.
    trap.set(
        new InProcessCluster.Trap(
            target,
            "FinishImport",
            () -> {
              admin("b").rebalance(status());
              during.set(outcome(() -> other.getRecord(get)));
            }));

    admin("a").rebalance(move(slot, target));

    assertThat(during.get())
        .as("GetRecord through router b while the activation is paused")
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .contains(
                      "shard " + target + " is the target of slot move move-",
                      ", activating it; identity person/crm/moving is staged here until then"
                          + " (waited 2000 ms); retry");
            });
    assertThat(other.getRecord(get).getStatus())
        .as("the same read after the move")
        .isEqualTo(RecordStatus.RECORD_STATUS_LIVE);
  }

  @Test
  void exportRows_acrossASwitch_isAbortedNamingTheMoveAndListsTheRecordOnceAfter() {
    cluster.router("a", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record moving = record("moving", "email", "moving@x");
    client.ingest(IngestRequest.newBuilder().addRecords(moving).build());
    int slot = SIGS.homeSlot(moving);
    int target = (MAP.shardOfSlot(slot) + 1) % cluster.size();
    // Shard 0's part is sent; before shard 1's starts, the whole move runs (exports are not held).
    trap.set(
        new InProcessCluster.Trap(1, "ExportRows", () -> admin("a").rebalance(move(slot, target))));

    Object across = outcome(() -> exportedCopies(client, moving));

    assertThat(trap.get()).as("the move ran during the export").isNull();
    assertThat(across)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
              assertThat(e.getStatus().getDescription())
                  .startsWith("slot move move-")
                  .contains(
                      " switched slots during the export (shard map epoch 1 at its start, 2"
                          + " now)",
                      "discard them and retry the export");
            });
    assertThat(exportedCopies(client, moving)).as("the export after the move").isEqualTo(1);
  }

  @Test
  void export_whileAMoveIsSwitching_isRefusedNamingTheMove() {
    cluster.router("a", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record moving = record("moving", "email", "moving@x");
    client.ingest(IngestRequest.newBuilder().addRecords(moving).build());
    int slot = SIGS.homeSlot(moving);
    int source = MAP.shardOfSlot(slot);
    int target = (source + 1) % cluster.size();
    List<Object> during = new ArrayList<>();
    // The clean's first delete: the moved record is live on both shards.
    trap.set(
        new InProcessCluster.Trap(
            source,
            "Delete",
            () -> {
              during.add(outcome(() -> exportedCopies(client, moving)));
              during.add(
                  outcome(
                      () -> client.export(ExportRequest.newBuilder().setName("during").build())));
            }));

    admin("a").rebalance(move(slot, target));

    assertThat(during)
        .as("ExportRows and the shard-local Export during the switch")
        .hasSize(2)
        .allSatisfy(
            o ->
                assertThat(o)
                    .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> {
                          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                          assertThat(e.getStatus().getDescription())
                              .startsWith("slot move move-")
                              .contains(
                                  "(shard " + source + " to shard " + target + ")",
                                  "is switching its slots; an export now could list a moved"
                                      + " record on both shards or on neither; retry the export"
                                      + " after the switch");
                        }));
    assertThat(exportedCopies(client, moving)).as("the export after the move").isEqualTo(1);
  }

  /** Rows of {@code r}'s identity in a whole ExportRows stream through the router. */
  private static long exportedCopies(TemporaServiceBlockingStub client, Record r) {
    long n = 0;
    var chunks = client.exportRows(ExportRowsRequest.getDefaultInstance());
    while (chunks.hasNext()) {
      n +=
          chunks.next().getRecordsList().stream()
              .filter(x -> x.getUid().equals(r.getIdentity().getUid()))
              .count();
    }
    return n;
  }

  @Test
  void writes_duringTheActivation_activateTheStagedRecordFirstAndAreKeptOnce() {
    cluster.router(
        "a",
        Duration.ofSeconds(30),
        c -> c.withRebalance(new RouterConfig.RebalanceConfig(Duration.ofMillis(300))));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record moving = record("moving", "email", "moving@x");
    Record deleted = record("deleted", "email", "deleted@x");
    client.ingest(IngestRequest.newBuilder().addRecords(moving).build());
    int slot = SIGS.homeSlot(moving);
    int source = MAP.shardOfSlot(slot);
    int target = (source + 1) % cluster.size();
    // A second record homed in the same slot (a uid found by trying: a record's home slot is
    // its routing key's).
    for (int i = 0; SIGS.homeSlot(deleted) != slot; i++) {
      deleted = record("deleted-" + i, "email", "deleted-" + i + "@x");
    }
    Record second = deleted;
    client.ingest(IngestRequest.newBuilder().addRecords(second).build());
    long entity =
        client
            .getRecord(GetRecordRequest.newBuilder().setIdentity(moving.getIdentity()).build())
            .getEntityId();
    List<Object> during = new ArrayList<>();
    // After the flip, the activation paused: both records are only staged on the target, and
    // this router's writes go on (no longer frozen until the activation ends).
    trap.set(
        new InProcessCluster.Trap(
            target,
            "FinishImport",
            () -> {
              assertThat(cluster.liveCopies(moving.getIdentity()))
                  .as("staged on the target, live on the source only")
                  .containsExactly(source);
              during.add(
                  outcome(
                      () ->
                          client.ingest(
                              IngestRequest.newBuilder()
                                  .addRecords(tagged(moving, "during-activation"))
                                  .build())));
              during.add(
                  outcome(
                      () ->
                          client.delete(
                              DeleteRequest.newBuilder()
                                  .addIdentities(second.getIdentity())
                                  .build())));
            }));

    admin("a").rebalance(move(slot, target));

    assertThat(trap.get()).as("the writes were sent before the activation").isNull();
    assertThat(during.get(0))
        .as("an upsert of the staged record during the activation")
        .isInstanceOfSatisfying(
            IngestResponse.class,
            r -> assertThat(r.getItems(0).getOutcome()).isEqualTo(Outcome.OUTCOME_UPDATED));
    assertThat(during.get(1))
        .as("a delete of the other staged record during the activation")
        .isInstanceOfSatisfying(
            io.tempora.proto.v1.DeleteResponse.class,
            r -> assertThat(r.getItems(0).getOutcome()).isEqualTo(Outcome.OUTCOME_DELETED));
    assertThat(cluster.liveCopies(moving.getIdentity())).containsExactly(target);
    assertThat(cluster.liveCopies(second.getIdentity())).as("the deleted record").isEmpty();
    assertThat(tagOf(client, moving))
        .as("kept after the activation")
        .isEqualTo("during-activation");
    GetRecordResponse after =
        client.getRecord(GetRecordRequest.newBuilder().setIdentity(moving.getIdentity()).build());
    assertThat(after.getEntityId()).as("the moved entity keeps its id").isEqualTo(entity);
    assertThat(client.getStats(GetStatsRequest.getDefaultInstance()).getRecords())
        .as("records counted once")
        .isEqualTo(1);
  }

  @Test
  void writeChangingTheHome_duringTheActivationOfItsDirectoryRow_keepsTheRecordedHome() {
    cluster.router(
        "a",
        Duration.ofSeconds(30),
        c -> c.withRebalance(new RouterConfig.RebalanceConfig(Duration.ofMillis(300))));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record r = record("dir", "email", "dir@x");
    client.ingest(IngestRequest.newBuilder().addRecords(r).build());
    // The slot of the identity moves: its directory row is staged on the target, its record stays.
    int slot = ShardMap.slotOf(r.getIdentity());
    int target = (MAP.shardOfSlot(slot) + 1) % cluster.size();
    int home = MAP.shardOfSlot(SIGS.homeSlot(r));
    // New values whose routing key proposes a home on another shard.
    Record changed = record("dir", "email", "dir-0@x");
    for (int i = 1; MAP.shardOfSlot(SIGS.homeSlot(changed)) == home; i++) {
      changed = record("dir", "email", "dir-" + i + "@x");
    }
    Record upsert = changed;
    AtomicReference<Object> during = new AtomicReference<>();
    trap.set(
        new InProcessCluster.Trap(
            target,
            "FinishImport",
            () ->
                during.set(
                    outcome(
                        () ->
                            client.ingest(
                                IngestRequest.newBuilder().addRecords(upsert).build())))));

    admin("a").rebalance(move(slot, target));

    assertThat(during.get())
        .as("an upsert changing the routing key while the directory row is staged")
        .isInstanceOfSatisfying(
            IngestResponse.class,
            x -> assertThat(x.getItems(0).getOutcome()).isEqualTo(Outcome.OUTCOME_UPDATED));
    assertThat(cluster.liveCopies(r.getIdentity()))
        .as("one copy, at the recorded home")
        .containsExactly(home);
    assertThat(
            client
                .getRecord(GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build())
                .getDescriptorsList())
        .extracting(io.tempora.proto.v1.Descriptor::getValue)
        .contains(upsert.getDescriptors(0).getValue());
  }

  private static RebalanceRequest status() {
    return RebalanceRequest.newBuilder().setStatus(true).build();
  }

  @Test
  void slotMove_afterHolderDiedBetweenCasAndCarryOver_finishesTheJournalFirstAndLosesNothing() {
    RouterServer a = cluster.router("a", Duration.ofMillis(300));
    cluster.router("b", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("b");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    cluster.reconcile("a");
    Record[] pair = ContactRecords.crossShardPair();
    client.ingest(IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());
    // A 1-1 component moves to the lower shard id: the record homed on the higher one moves.
    int s0 = MAP.shardOfSlot(SIGS.homeSlot(pair[0]));
    int s1 = MAP.shardOfSlot(SIGS.homeSlot(pair[1]));
    Record moving = s0 > s1 ? pair[0] : pair[1];
    Record staying = s0 > s1 ? pair[1] : pair[0];
    int source = Math.max(s0, s1);
    int target = Math.min(s0, s1);
    // Just before a's directory CAS, an upsert through b lands on the source; a dies after it.
    trap.set(
        new InProcessCluster.Trap(
            MAP.shardOf(moving.getIdentity()),
            "SetHomes",
            () ->
                client.ingest(
                    IngestRequest.newBuilder().addRecords(tagged(moving, "late")).build())));
    a.moveHook(
        (point, ids) -> {
          if (point == MoveHook.Point.AFTER_CAS) {
            throw new IllegalStateException("router a dies after the directory CAS");
          }
        });
    assertThatThrownBy(() -> cluster.reconcile("a")).isInstanceOf(StatusRuntimeException.class);
    assertThat(cluster.pending(source)).as("the journal entry on the source").isEqualTo(1);
    assertThat(cluster.tagOn(source, moving)).as("the source copy").isEqualTo("late");
    assertThat(cluster.tagOn(target, moving))
        .as("the target copy, made before the upsert")
        .isEmpty();

    // Before any Reconcile, b moves the slot a's move went to (the target's first slot, the
    // moving record's home now) onto the source, whose copy is the newer one: copying the
    // target's older copy there would overwrite the upsert.
    RebalanceResponse moved = admin("b").rebalance(move(MAP.firstSlot(target), source));

    assertThat(moved.getMovesList()).isEmpty();
    assertThat(cluster.liveCopies(moving.getIdentity())).hasSize(1);
    assertThat(cluster.liveCopies(staying.getIdentity())).hasSize(1);
    assertThat(tagOf(client, moving)).isEqualTo("late");
    cluster.reconcile("b");
    assertThat(cluster.liveCopies(moving.getIdentity()))
        .isEqualTo(cluster.liveCopies(staying.getIdentity()));
    assertThat(tagOf(client, moving)).isEqualTo("late");
    long records = 0;
    for (int s = 0; s < cluster.size(); s++) {
      assertThat(cluster.pending(s)).as("journal entries on shard %d", s).isZero();
      records += cluster.live(s).size();
    }
    assertThat(records).as("live records on the shards (none lost or duplicated)").isEqualTo(2);
  }

  /**
   * The intermittent RebalanceProcessIT failure (docs/distributed.md "Known gaps"): a slot move
   * takes part of entity X (created on the source) to the target, which keeps the id X; on the
   * source X's remaining record then merges into an older entity Y (here a client write bridging
   * them during the clean; in the IT the clean's deletes or a reconciliation copy did it), so the
   * creator shard answers X as an alias of Y, and Y is deleted there afterwards. X is still active
   * on the target and listed: GetEntity through the router must find it there instead of answering
   * "merged into a deleted entity".
   */
  @Test
  void getEntity_movedIdLaterAliasedToDeletedEntityOnItsCreator_answersTheActiveEntity() {
    cluster.router("a", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    // All four records homed on shard 0, only a's home slot moves (to shard 1).
    Record a = homedOn(0, -1, i -> record("a", "phone", "p" + i));
    int slot = SIGS.homeSlot(a);
    Record c = homedOn(0, slot, i -> record("c", "phone", "q" + i));
    String phone = a.getDescriptors(0).getValue();
    Record b =
        homedOn(0, slot, i -> withDescriptor(record("b", "email", "b" + i + "@x"), "phone", phone));
    Record r =
        homedOn(
            0,
            slot,
            i ->
                withDescriptor(
                    record("r" + i, "email", b.getDescriptors(0).getValue()),
                    "phone",
                    c.getDescriptors(0).getValue()));
    client.ingest(IngestRequest.newBuilder().addRecords(c).build());
    client.ingest(IngestRequest.newBuilder().addRecords(a).build());
    client.ingest(IngestRequest.newBuilder().addRecords(b).build());
    long y = entityOf(client, c);
    long x = entityOf(client, a);
    assertThat(entityOf(client, b)).as("a and b form X").isEqualTo(x);
    assertThat(Long.compareUnsigned(y, x)).as("Y is older than X").isNegative();
    // After the clean deleted a on shard 0 (X there is {b}): r links b and c, merging X into Y
    // on shard 0; then b, c and r are deleted, so Y is deleted there.
    List<Object> during = new ArrayList<>();
    trap.set(
        new InProcessCluster.Trap(
            0,
            "DropHomes",
            () -> {
              during.add(
                  outcome(() -> client.ingest(IngestRequest.newBuilder().addRecords(r).build())));
              during.add(
                  outcome(
                      () ->
                          client.delete(
                              DeleteRequest.newBuilder()
                                  .addIdentities(b.getIdentity())
                                  .addIdentities(c.getIdentity())
                                  .addIdentities(r.getIdentity())
                                  .build())));
            }));

    RebalanceResponse moved = admin("a").rebalance(move(slot, 1));

    assertThat(trap.get()).as("the writes ran during the clean").isNull();
    assertThat(during).allMatch(o -> !(o instanceof StatusRuntimeException), "applied");
    assertThat(moved.getMovesList()).isEmpty();
    GetEntityResponse onCreator =
        TemporaServiceGrpc.newBlockingStub(cluster.shardChannel(0))
            .getEntity(GetEntityRequest.newBuilder().setEntityId(x).build());
    assertThat(onCreator.getStatus())
        .as("X on its creator")
        .isEqualTo(EntityStatus.ENTITY_STATUS_MERGED);
    assertThat(onCreator.getResolved()).isEqualTo(y);
    assertThat(onCreator.getResolvedStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_DELETED);
    ListEntitiesResponse listed = client.listEntities(ListEntitiesRequest.getDefaultInstance());
    assertThat(listed.getEntitiesList())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getEntityId()).isEqualTo(x);
              assertThat(e.getMembersList()).containsExactly(a.getIdentity());
            });

    GetEntityResponse entity =
        client.getEntity(GetEntityRequest.newBuilder().setEntityId(x).build());

    assertThat(entity.getStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
    assertThat(entity.getResolvedStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
    assertThat(entity.getResolved()).isEqualTo(x);
    assertThat(entity.getMembersList())
        .extracting(m -> m.getIdentity())
        .containsExactly(a.getIdentity());
  }

  /**
   * Gap B of docs/distributed.md "Known gaps": a slot move that takes one record of an entity X and
   * leaves another (homed in a slot that stays) leaves X active on both shards from the clean (the
   * switch's end: reads are no longer held, by any router) until the reconciliation after the move
   * co-locates it. Reads through a second router in that window answer as one shard holding both
   * records would: ListEntities lists X once with both members (it listed X twice before the router
   * merged an id listed by two shards), GetEntity answers X with both members, the golden record of
   * both records and the DIRECT conflict between them (it answered the part on X's creator shard
   * only), and GetStats counts X once (it counted it on both shards).
   */
  @Test
  void reads_entitySplitByTheMoveBeforeItsReconciliation_answerAsOneShardHoldingIt() {
    cluster.router("a", Duration.ofSeconds(30));
    cluster.router("b", Duration.ofSeconds(30));
    TemporaServiceBlockingStub client = cluster.client("a");
    TemporaServiceBlockingStub other = cluster.client("b");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    Record a = homedOn(0, -1, i -> withDescriptor(record("a", "phone", "p" + i), "city", "Oslo"));
    int slot = SIGS.homeSlot(a);
    String phone = a.getDescriptors(0).getValue();
    Record b =
        homedOn(
            0,
            slot,
            i ->
                withDescriptor(
                    withDescriptor(record("b", "email", "b" + i + "@x"), "phone", phone),
                    "city",
                    "Bergen"));
    client.ingest(IngestRequest.newBuilder().addRecords(a).addRecords(b).build());
    long x = entityOf(client, a);
    assertThat(entityOf(client, b)).as("a and b form X").isEqualTo(x);
    List<Object> during = new ArrayList<>();
    List<List<Integer>> copies = new ArrayList<>();
    QueryEntitiesRequest byPhone =
        QueryEntitiesRequest.newBuilder()
            .addDescriptors(AttrValue.newBuilder().setAttr("phone").setValue(phone))
            .build();
    // After the clean (its move row removed, so no shard holds reads), before the reconciliation:
    // the reconciliation's first step reads every shard's change feed state.
    Runnable window =
        () -> {
          copies.add(cluster.liveCopies(a.getIdentity()));
          copies.add(cluster.liveCopies(b.getIdentity()));
          during.add(outcome(() -> other.listEntities(ListEntitiesRequest.getDefaultInstance())));
          during.add(
              outcome(() -> other.getEntity(GetEntityRequest.newBuilder().setEntityId(x).build())));
          during.add(outcome(() -> other.getStats(GetStatsRequest.getDefaultInstance())));
          during.add(outcome(() -> other.queryEntities(byPhone)));
          during.add(outcome(() -> other.listConflicts(ListConflictsRequest.getDefaultInstance())));
        };
    trap.set(
        new InProcessCluster.Trap(
            0,
            "DropHomes",
            () ->
                trap.set(
                    new InProcessCluster.Trap(
                        0,
                        "SaveSlotMove",
                        () -> trap.set(new InProcessCluster.Trap(2, "ChangeFeedState", window))))));

    admin("a").rebalance(move(slot, 1));

    assertThat(trap.get()).as("the reads ran between the clean and the reconciliation").isNull();
    assertThat(copies).as("a moved, b stayed").containsExactly(List.of(1), List.of(0));
    assertThat(during.get(0))
        .asInstanceOf(
            org.assertj.core.api.InstanceOfAssertFactories.type(ListEntitiesResponse.class))
        .satisfies(
            l ->
                assertThat(l.getEntitiesList())
                    .singleElement()
                    .satisfies(
                        e -> {
                          assertThat(e.getEntityId()).isEqualTo(x);
                          assertThat(e.getMembersList())
                              .containsExactlyInAnyOrder(a.getIdentity(), b.getIdentity());
                        }));
    GetEntityResponse whole = other.getEntity(GetEntityRequest.newBuilder().setEntityId(x).build());
    assertThat(whole.getMembersList())
        .extracting(m -> m.getIdentity())
        .containsExactlyInAnyOrder(a.getIdentity(), b.getIdentity());
    assertThat(during.get(1))
        .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.type(GetEntityResponse.class))
        .satisfies(
            e -> {
              assertThat(e.getStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
              assertThat(e.getResolved()).isEqualTo(x);
              assertThat(e.getMembersList())
                  .as("both parts of X")
                  .extracting(m -> m.getIdentity())
                  .containsExactlyInAnyOrder(a.getIdentity(), b.getIdentity());
              assertThat(e.getGoldenList())
                  .as("golden record of both records (city conflicts: not golden)")
                  .extracting(d -> d.getAttr() + "=" + d.getValue())
                  .containsExactlyInAnyOrder(
                      "email=" + b.getDescriptors(0).getValue(), "phone=" + phone);
              assertThat(e.getConflictsList())
                  .as("the DIRECT conflict between a's and b's city")
                  .singleElement()
                  .satisfies(
                      c -> {
                        assertThat(c.getAttribute()).isEqualTo("city");
                        assertThat(c.getDirect().getValuesList())
                            .extracting(v -> v.getValue())
                            .containsExactly("Bergen", "Oslo");
                      });
              // As one shard holding both records answers after the reconciliation.
              assertThat(e.getGoldenList()).isEqualTo(whole.getGoldenList());
              assertThat(e.getConflictsList()).isEqualTo(whole.getConflictsList());
            });
    assertThat(during.get(2))
        .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.type(GetStatsResponse.class))
        .satisfies(
            st -> {
              assertThat(st.getRecords()).isEqualTo(2);
              assertThat(st.getEntities()).as("X counted once").isEqualTo(1);
            });
    QueryEntitiesResponse query = other.queryEntities(byPhone);
    assertThat(query.getMatches().getMatchesList())
        .singleElement()
        .satisfies(m -> assertThat(m.getEntityId()).isEqualTo(x));
    assertThat(during.get(3))
        .as("one match of X with the golden record of both records")
        .asInstanceOf(
            org.assertj.core.api.InstanceOfAssertFactories.type(QueryEntitiesResponse.class))
        .satisfies(q -> assertThat(q.getMatches()).isEqualTo(query.getMatches()));
    ListConflictsResponse conflicts =
        other.listConflicts(ListConflictsRequest.getDefaultInstance());
    assertThat(conflicts.getItemsList())
        .singleElement()
        .satisfies(c -> assertThat(c.getAttribute()).isEqualTo("city"));
    assertThat(during.get(4))
        .asInstanceOf(
            org.assertj.core.api.InstanceOfAssertFactories.type(ListConflictsResponse.class))
        .satisfies(
            l ->
                assertThat(l.getItemsList())
                    .as("the conflict between the parts is not listed (documented gap)")
                    .isEmpty());
    // After the move's reconciliation: X on one shard, counted once.
    GetStatsResponse after = other.getStats(GetStatsRequest.getDefaultInstance());
    assertThat(after.getRecords()).isEqualTo(2);
    assertThat(after.getEntities()).isEqualTo(1);
    assertThat(other.listEntities(ListEntitiesRequest.getDefaultInstance()).getEntitiesList())
        .singleElement()
        .satisfies(e -> assertThat(e.getEntityId()).isEqualTo(x));
  }

  /**
   * The first record {@code make} gives (for i = 0, 1, …) whose home slot is on shard {@code shard}
   * of the 3-shard map and is not {@code not}.
   */
  private static Record homedOn(int shard, int not, java.util.function.IntFunction<Record> make) {
    for (int i = 0; ; i++) {
      Record rec = make.apply(i);
      int home = SIGS.homeSlot(rec);
      if (MAP.shardOfSlot(home) == shard && home != not) {
        return rec;
      }
    }
  }

  private static Record withDescriptor(Record rec, String attr, String value) {
    return rec.toBuilder()
        .addDescriptors(io.tempora.proto.v1.Descriptor.newBuilder().setAttr(attr).setValue(value))
        .build();
  }

  private static long entityOf(TemporaServiceBlockingStub client, Record rec) {
    return client
        .getRecord(GetRecordRequest.newBuilder().setIdentity(rec.getIdentity()).build())
        .getEntityId();
  }

  /** The answer of {@code call}, or the exception it threw. */
  private static Object outcome(java.util.function.Supplier<Object> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      return e;
    }
  }
}
