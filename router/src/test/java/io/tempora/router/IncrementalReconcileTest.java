package io.tempora.router;

import static io.tempora.router.ContactRecords.ONTOLOGY;
import static io.tempora.router.ContactRecords.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * DISTRIBUTED.md DS-1 through a router in front of 3 in-process shards: after a first (full) round,
 * a round reads only the changed records and the components they touch, yet co-locates a component
 * that a new record joined across shards; {@code full} still reads every record. DS-4: a Reconcile
 * while clients keep writing ends once the changes present at call time are reconciled.
 */
class IncrementalReconcileTest {
  private static final int BACKGROUND = 300;

  /** Tag of tests whose shards answer ChangedRecords with at most 4 KiB of records. */
  private static final String SMALL_CHANGE_FEED = "small-change-feed";

  private final List<InMemoryStore> stores = new ArrayList<>();
  private final List<ShardServer> servers = new ArrayList<>();
  private RouterServer router;
  private ManagedChannel channel;
  private TemporaServiceBlockingStub stub;
  private RouterServer otherRouter;
  private ManagedChannel otherChannel;
  private TemporaServiceBlockingStub otherStub;
  private RouterGrpc.RouterBlockingStub admin;

  /** Client writes still to make, one each time a round reads shard 0's change feed. */
  private final AtomicInteger writesDuringFeedReads = new AtomicInteger();

  private final List<Record> writtenDuringFeedReads =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeEach
  void start(TestInfo test) {
    List<ShardClient> clients = new ArrayList<>();
    ShardServerConfig config =
        ShardServerConfig.defaults("127.0.0.1", 0)
            .withHealthPort(-1)
            .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
    if (test.getTags().contains(SMALL_CHANGE_FEED)) {
      config = config.withChangeFeedBytes(4096);
    }
    for (int i = 0; i < 3; i++) {
      InMemoryStore store = new InMemoryStore();
      stores.add(store);
      String name = "incremental-shard-" + i + "-" + UUID.randomUUID();
      InProcessServerBuilder builder = InProcessServerBuilder.forName(name);
      if (i == 0) {
        builder.intercept(new WriteOnFeedRead());
      }
      servers.add(
          ShardServer.start(
              builder, null, config, new Engine(store, new EngineConfig(i, Limits.defaults()))));
      clients.add(
          new ShardClient(i, name, InProcessChannelBuilder.forName(name).directExecutor().build()));
    }
    String name = "incremental-router-" + UUID.randomUUID();
    router =
        RouterServer.start(
            InProcessServerBuilder.forName(name),
            clients,
            RouterConfig.defaults("127.0.0.1", 0, List.of("a:1", "b:1", "c:1"))
                .withReconcileStaleness(Duration.ZERO));
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = TemporaServiceGrpc.newBlockingStub(channel);
    admin = RouterGrpc.newBlockingStub(channel);
    // A second router on the same shards, the other clients' way in: its writes are not held back
    // by the first router's rounds (a router's own writes are).
    List<ShardClient> otherClients = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String shard = clients.get(i).address();
      otherClients.add(
          new ShardClient(
              i, shard, InProcessChannelBuilder.forName(shard).directExecutor().build()));
    }
    String otherName = "incremental-router-other-" + UUID.randomUUID();
    otherRouter =
        RouterServer.start(
            InProcessServerBuilder.forName(otherName),
            otherClients,
            RouterConfig.defaults("127.0.0.1", 0, List.of("a:1", "b:1", "c:1"))
                .withReconcileStaleness(Duration.ZERO));
    otherChannel = InProcessChannelBuilder.forName(otherName).directExecutor().build();
    otherStub = TemporaServiceGrpc.newBlockingStub(otherChannel);
  }

  @AfterEach
  void stop() {
    otherChannel.shutdownNow();
    otherRouter.close();
    channel.shutdownNow();
    router.close();
    servers.forEach(ShardServer::close);
    stores.forEach(InMemoryStore::close);
  }

  @Test
  void reconcile_afterOneLinkingRecord_readsOnlyItsComponentAndCoLocatesIt() {
    stub.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    IngestRequest.Builder background = IngestRequest.newBuilder();
    for (int i = 0; i < BACKGROUND; i++) {
      background.addRecords(record("bg" + i, "email", "bg" + i + "@x"));
    }
    stub.ingest(background.build());
    ReconcileResponse first = reconcile(false);
    // A holds only a phone; B an email and the same phone: B is homed by its email signature,
    // chosen so that it lands on another shard than A, and links to A through the phone.
    Signatures sigs = new Signatures(ONTOLOGY);
    ShardMap map = new ShardMap(3);
    Record a = record("a", "phone", "p1");
    Record b = null;
    for (int i = 0; b == null; i++) {
      Record candidate =
          record("b", "email", "b" + i + "@x").toBuilder()
              .addDescriptors(Descriptor.newBuilder().setAttr("phone").setValue("p1"))
              .build();
      if (map.shardOfSlot(sigs.homeSlot(candidate)) != map.shardOfSlot(sigs.homeSlot(a))) {
        b = candidate;
      }
    }
    stub.ingest(IngestRequest.newBuilder().addRecords(a).build());
    reconcile(false);
    stub.ingest(IngestRequest.newBuilder().addRecords(b).build());

    ReconcileResponse incremental = reconcile(false);
    long entityA = entityOf(a);
    long entityB = entityOf(b);
    ReconcileResponse full = reconcile(true);

    assertThat(first.getFull()).as("a router's first round is full").isTrue();
    assertThat(first.getRecords()).isEqualTo(BACKGROUND);
    assertThat(incremental.getFull()).isFalse();
    assertThat(incremental.getMoved()).isEqualTo(1);
    assertThat(incremental.getRecords())
        .as("records read by the incremental round (the shards hold %d)", BACKGROUND + 2)
        .isLessThanOrEqualTo(10);
    assertThat(entityA).isEqualTo(entityB);
    assertThat(full.getFull()).isTrue();
    assertThat(full.getRecords()).isEqualTo(BACKGROUND + 2);
    assertThat(full.getMoved()).isZero();
    assertThat(stub.getStats(GetStatsRequest.getDefaultInstance()).getRecords())
        .isEqualTo(BACKGROUND + 2);
  }

  @Test
  void reconcile_whileClientsKeepWriting_endsAtTheChangesPresentAtCallTime() {
    stub.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    reconcile(true);
    List<Record> before = crossShardPair("before");
    stub.ingest(IngestRequest.newBuilder().addAllRecords(before).build());
    // Every read of shard 0's change feed is preceded by a new cross-shard pair written through the
    // other router: a Reconcile that
    // ran until the feeds were empty would run one round per write (forever, were they endless).
    writesDuringFeedReads.set(20);

    ReconcileResponse during = reconcile(false);
    int leftAfterFirst = writesDuringFeedReads.get();
    writesDuringFeedReads.set(0);
    ReconcileResponse after = reconcile(false);

    assertThat(during.getRounds())
        .as("rounds of a Reconcile during writes (it stops at the heads read at call time)")
        .isEqualTo(1);
    assertThat(leftAfterFirst).as("writes the test still had to make").isEqualTo(19);
    assertThat(entityOf(before.get(0))).isEqualTo(entityOf(before.get(1)));
    assertThat(after.getFull()).isFalse();
    assertThat(writtenDuringFeedReads).hasSize(2);
    assertThat(entityOf(writtenDuringFeedReads.get(0)))
        .as("a pair written during the first Reconcile, linked by the next")
        .isEqualTo(entityOf(writtenDuringFeedReads.get(1)));
  }

  /** Ingests a cross-shard pair through the other router before shard 0 answers ChangedRecords. */
  private final class WriteOnFeedRead implements ServerInterceptor {
    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
      if (call.getMethodDescriptor()
              .getFullMethodName()
              .equals(ShardGrpc.getChangedRecordsMethod().getFullMethodName())
          && writesDuringFeedReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        List<Record> pair = crossShardPair("during" + writtenDuringFeedReads.size());
        otherStub.ingest(IngestRequest.newBuilder().addAllRecords(pair).build());
        writtenDuringFeedReads.addAll(pair);
      }
      return next.startCall(call, headers);
    }
  }

  /**
   * Two records linked by a phone and homed on different shards: {@code tag}-a holds only the
   * phone, {@code tag}-b an email (its routing key, chosen for another shard) and the phone.
   */
  @Test
  @Tag(SMALL_CHANGE_FEED)
  void reconcile_transactionLargerThanAChangeFeedAnswer_runsAFullRoundAndLinks() {
    stub.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    reconcile(false); // the router's first round is full; the next ones read the change feeds
    List<Record> pair = crossShardPair("big");
    stub.ingest(IngestRequest.newBuilder().addRecords(pair.get(0)).build());
    // One request whose part on every shard changes more than 4 KiB of records, then the pair's
    // second record: the feeds cannot hand that transaction over, so the round must be full.
    IngestRequest.Builder big = IngestRequest.newBuilder();
    for (int i = 0; i < BACKGROUND; i++) {
      big.addRecords(record("big" + i, "email", "big" + i + "@x"));
    }
    stub.ingest(big.build());
    stub.ingest(IngestRequest.newBuilder().addRecords(pair.get(1)).build());

    ReconcileResponse round = reconcile(false);

    assertThat(round.getFull()).as("fell back to a full round").isTrue();
    assertThat(round.getRecords()).isEqualTo(BACKGROUND + 2);
    assertThat(entityOf(pair.get(0))).isEqualTo(entityOf(pair.get(1)));
    assertThat(reconcile(false).getFull())
        .as("the next round is incremental again: the cursors passed the large transaction")
        .isFalse();
  }

  private static List<Record> crossShardPair(String tag) {
    Signatures sigs = new Signatures(ONTOLOGY);
    ShardMap map = new ShardMap(3);
    Record a = record(tag + "-a", "phone", tag);
    for (int i = 0; ; i++) {
      Record b =
          record(tag + "-b", "email", tag + i + "@x").toBuilder()
              .addDescriptors(Descriptor.newBuilder().setAttr("phone").setValue(tag))
              .build();
      if (map.shardOfSlot(sigs.homeSlot(b)) != map.shardOfSlot(sigs.homeSlot(a))) {
        return List.of(a, b);
      }
    }
  }

  private ReconcileResponse reconcile(boolean full) {
    return admin.reconcile(ReconcileRequest.newBuilder().setFull(full).build());
  }

  private long entityOf(Record r) {
    return stub.getRecord(GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build())
        .getEntityId();
  }
}
