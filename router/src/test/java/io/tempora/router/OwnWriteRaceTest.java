package io.tempora.router;

import static io.tempora.router.ContactRecords.ONTOLOGY;
import static io.tempora.router.ContactRecords.record;
import static io.tempora.router.ContactRecords.tagOf;
import static io.tempora.router.ContactRecords.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.RecordStatus;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A router's client writes no longer wait for its own reconciliation rounds (docs/distributed.md
 * "Writes during a move"): the round of router "a" is paused at every step boundary of a move (its
 * {@link MoveHook}) while a client of the same router upserts, deletes, or links a new record to,
 * the moving identity. The write completes during the pause (before 2026-11-22 it waited for the
 * round: with the round paused on it, the write ran into its deadline), and after the next
 * Reconcile nothing is lost: every identity is live on exactly one shard with its last written
 * content, the component on one shard, every move journal empty. 3 in-process shards, real gRPC.
 */
class OwnWriteRaceTest {
  private static final Signatures SIGS = new Signatures(ONTOLOGY);
  private static final ShardMap MAP = new ShardMap(3);

  /** The step boundaries of a move batch, in order. */
  private static final Set<MoveHook.Point> MOVE_STEPS =
      EnumSet.range(MoveHook.Point.TARGET_INGESTED, MoveHook.Point.MOVED);

  /** What the client does to the moving identity while the round is paused. */
  enum Write {
    UPSERT,
    DELETE,
    LINK_NEW
  }

  private InProcessCluster cluster;

  @BeforeEach
  void start() {
    cluster = InProcessCluster.start(3, shard -> null);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  static Stream<Arguments> cases() {
    return MOVE_STEPS.stream().flatMap(p -> Stream.of(Write.values()).map(w -> Arguments.of(p, w)));
  }

  @ParameterizedTest(name = "{1} at {0}")
  @MethodSource("cases")
  void write_throughSameRouterWhileItsRoundPaused_completesAndNothingLost(
      MoveHook.Point pausedAt, Write write) {
    // Rounds not holding this router's writes (reconcile.rounds_hold_writes = false), so that a
    // write answers while the round is paused.
    RouterServer a =
        cluster.router(
            "a",
            Duration.ofSeconds(30),
            c ->
                c.withReconcile(
                    new RouterConfig.ReconcileConfig(Duration.ofSeconds(30), 10_000, "a", false)));
    TemporaServiceBlockingStub client = cluster.client("a");
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    cluster.reconcile("a");
    Record[] pair = ContactRecords.crossShardPair();
    client.ingest(IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());
    // A 1-1 component moves to the lower shard id: the record homed on the higher one moves.
    boolean firstMoves =
        MAP.shardOfSlot(SIGS.homeSlot(pair[0])) > MAP.shardOfSlot(SIGS.homeSlot(pair[1]));
    Record moving = firstMoves ? pair[0] : pair[1];
    Record staying = firstMoves ? pair[1] : pair[0];
    Record newcomer =
        record("z", "email", "z@x").toBuilder()
            .addDescriptors(Descriptor.newBuilder().setAttr("phone").setValue("p9"))
            .build();
    AtomicReference<Object> done = new AtomicReference<>();
    a.moveHook(
        (point, ids) -> {
          if (point == pausedAt && done.get() == null) {
            // The round is paused here (this runs on its thread) until the write answers.
            done.set(
                apply(
                    client.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS),
                    write,
                    moving,
                    newcomer));
          }
        });

    cluster.reconcile("a"); // the round that moves the pair, paused at pausedAt
    a.moveHook(MoveHook.NONE);
    cluster.reconcile("a"); // the next one

    assertThat(done.get()).as("the write answered during the paused round").isEqualTo(write);
    assertThat(cluster.liveCopies(staying.getIdentity())).hasSize(1);
    int home = cluster.liveCopies(staying.getIdentity()).getFirst();
    switch (write) {
      case UPSERT -> {
        assertThat(cluster.liveCopies(moving.getIdentity())).containsExactly(home);
        assertThat(tagOf(client, moving)).isEqualTo("late");
      }
      case DELETE -> {
        assertThat(cluster.liveCopies(moving.getIdentity())).isEmpty();
        assertThat(statusOf(client, moving)).isIn("DELETED", "NOT_FOUND");
      }
      case LINK_NEW -> {
        assertThat(cluster.liveCopies(moving.getIdentity())).containsExactly(home);
        assertThat(cluster.liveCopies(newcomer.getIdentity())).containsExactly(home);
        assertThat(entityOf(client, newcomer)).isEqualTo(entityOf(client, staying));
      }
    }
    for (int s = 0; s < cluster.size(); s++) {
      assertThat(cluster.pending(s)).as("journal entries on shard %d", s).isZero();
      assertThat(cluster.carryMarks(s)).as("carry-over marks on shard %d", s).isZero();
    }
  }

  /** Applies {@code write}; returns it when acknowledged (OK, every item as expected). */
  private static Write apply(
      TemporaServiceBlockingStub client, Write write, Record moving, Record newcomer) {
    switch (write) {
      case UPSERT ->
          assertThat(
                  client
                      .ingest(IngestRequest.newBuilder().addRecords(tagged(moving, "late")).build())
                      .getItems(0)
                      .getOutcome())
              .isEqualTo(Outcome.OUTCOME_UPDATED);
      case DELETE ->
          assertThat(
                  client
                      .delete(
                          DeleteRequest.newBuilder().addIdentities(moving.getIdentity()).build())
                      .getItems(0)
                      .getOutcome())
              .isNotEqualTo(Outcome.OUTCOME_NOT_FOUND);
      case LINK_NEW ->
          assertThat(
                  client
                      .ingest(IngestRequest.newBuilder().addRecords(newcomer).build())
                      .getItems(0)
                      .getOutcome())
              .isEqualTo(Outcome.OUTCOME_CREATED);
    }
    return write;
  }

  private static GetRecordResponse get(TemporaServiceBlockingStub client, Record r) {
    return client.getRecord(GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build());
  }

  private static long entityOf(TemporaServiceBlockingStub client, Record r) {
    return get(client, r).getEntityId();
  }

  private static String statusOf(TemporaServiceBlockingStub client, Record r) {
    try {
      return get(client, r).getStatus() == RecordStatus.RECORD_STATUS_DELETED ? "DELETED" : "LIVE";
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() == Status.Code.NOT_FOUND ? "NOT_FOUND" : e.toString();
    }
  }
}
