package io.tempora.router;

import static io.tempora.router.ContactRecords.ONTOLOGY;
import static io.tempora.router.ContactRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.Consistency;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.QueryMatch;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several routers in front of 3 in-process shards (DISTRIBUTED.md §4): one reconcile lease holder,
 * the epoch fence (DS-T5), concurrent first ingest of one identity (DS-T4), settled reads (DS-T8),
 * the holder's polling loop reconciling another router's writes (DS-3), and client writes through
 * another router during moves.
 */
class ReconcileLeaseTest {

  private InProcessCluster shards;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<RouterServer> routers = new ArrayList<>();

  @BeforeEach
  void startShards() {
    shards = InProcessCluster.start(3, i -> null);
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    routers.forEach(RouterServer::close);
    shards.close();
  }

  /** A router with its own channels; returns the channel to it. */
  private ManagedChannel router(String id, Duration staleness, Duration leaseTtl) {
    List<ShardClient> clients = new ArrayList<>();
    for (int i = 0; i < shards.size(); i++) {
      clients.add(new ShardClient(i, shards.shardName(i), shardChannel(i)));
    }
    String name = "lease-router-" + id + "-" + UUID.randomUUID();
    routers.add(
        RouterServer.start(
            InProcessServerBuilder.forName(name),
            clients,
            RouterConfig.defaults("127.0.0.1", 0, List.of("a:1", "b:1", "c:1"))
                .withReconcileStaleness(staleness)
                .withReconcile(new RouterConfig.ReconcileConfig(leaseTtl, 10_000, id))));
    return channel(name);
  }

  private ManagedChannel channel(String name) {
    ManagedChannel c = InProcessChannelBuilder.forName(name).directExecutor().build();
    channels.add(c);
    return c;
  }

  private ManagedChannel shardChannel(int shard) {
    return InProcessChannelBuilder.forName(shards.shardName(shard)).directExecutor().build();
  }

  private static TemporaServiceBlockingStub client(ManagedChannel c) {
    return TemporaServiceGrpc.newBlockingStub(c);
  }

  private static RouterGrpc.RouterBlockingStub admin(ManagedChannel c) {
    return RouterGrpc.newBlockingStub(c);
  }

  private long highestEpoch(int shard) {
    return ShardGrpc.newBlockingStub(channel(shards.shardName(shard)))
        .changeFeedState(ChangeFeedStateRequest.getDefaultInstance())
        .getHighestEpoch();
  }

  @Test
  void reconcile_throughSecondRouter_isRefusedWhileFirstHoldsLease() {
    ManagedChannel a = router("router-a", Duration.ZERO, Duration.ofSeconds(30));
    ManagedChannel b = router("router-b", Duration.ZERO, Duration.ofSeconds(30));
    client(a).setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());

    admin(a).reconcile(ReconcileRequest.getDefaultInstance());

    assertThatThrownBy(
            () ->
                admin(b)
                    .withDeadlineAfter(1, TimeUnit.SECONDS)
                    .reconcile(ReconcileRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription())
                  .contains("reconcile lease held by another router: router-a (epoch 1)");
            });
    assertThat(admin(a).reconcile(ReconcileRequest.getDefaultInstance()).getFull())
        .as("the holder keeps reconciling incrementally from the persisted cursors")
        .isFalse();
  }

  @Test
  void write_ofFormerHolderAfterLeasePassed_isRejectedByShard() {
    ManagedChannel a = router("router-a", Duration.ZERO, Duration.ofMillis(200));
    ManagedChannel b = router("router-b", Duration.ZERO, Duration.ofSeconds(30));
    admin(a).reconcile(ReconcileRequest.getDefaultInstance());
    long former = highestEpoch(1);

    // A does not renew (no loop): B waits for the lease to expire, takes it, and its round's
    // first calls raise every shard's fence.
    admin(b)
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .reconcile(ReconcileRequest.getDefaultInstance());
    long current = highestEpoch(1);
    // A write of the paused former holder, carrying its epoch as its rounds' calls do.
    try (ShardClient shard1 = new ShardClient(1, shards.shardName(1), shardChannel(1))) {
      assertThatThrownBy(
              () ->
                  LeaseEpoch.with(
                      former,
                      () ->
                          shard1
                              .stub(Duration.ofSeconds(10))
                              .ingest(
                                  IngestRequest.newBuilder()
                                      .addRecords(record("stale", "email", "stale@x"))
                                      .build())))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                assertThat(e.getStatus().getDescription())
                    .contains("epoch " + former + " is below the highest epoch " + current);
              });
    }

    assertThat(former).isEqualTo(1);
    assertThat(current).isEqualTo(2);
    assertThat(liveCopies(Identity.newBuilder().setEntityType("person").build()))
        .as("nothing of the stale write")
        .isEmpty();
  }

  @Test
  void ingest_sameNewIdentityThroughTwoRoutersConcurrently_hasOneHomeAndOneRecord()
      throws Exception {
    ManagedChannel a = router("router-a", Duration.ZERO, Duration.ofSeconds(30));
    ManagedChannel b = router("router-b", Duration.ZERO, Duration.ofSeconds(30));
    client(a).setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    int n = 60;
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    for (ManagedChannel router : List.of(a, b)) {
      String side = router == a ? "a" : "b";
      writers.add(
          CompletableFuture.runAsync(
              () -> {
                awaitLatch(go);
                for (int i = 0; i < n; i++) {
                  // Different contents: different smallest signatures, usually different slots.
                  client(router)
                      .ingest(
                          IngestRequest.newBuilder()
                              .addRecords(record("same-" + i, "email", side + i + "@x"))
                              .build());
                }
              }));
    }
    go.countDown();
    CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    for (int i = 0; i < n; i++) {
      Identity id = record("same-" + i, "email", "").getIdentity();
      List<Integer> copies = liveCopies(id);
      GetRecordResponse r =
          client(a).getRecord(GetRecordRequest.newBuilder().setIdentity(id).build());
      assertThat(copies).as("live copies of %s", id.getUid()).hasSize(1);
      assertThat(r.getDescriptors(0).getValue()).isIn("a" + i + "@x", "b" + i + "@x");
    }
  }

  @Test
  void settledRead_rightAfterCrossShardWrite_reflectsItWhileCurrentMayNot() {
    ManagedChannel a = router("router-a", Duration.ZERO, Duration.ofSeconds(30));
    TemporaServiceBlockingStub stub = client(a);
    stub.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    admin(a).reconcile(ReconcileRequest.getDefaultInstance());
    Record[] pair = crossShardPair("p1");
    stub.ingest(IngestRequest.newBuilder().addRecords(pair[0]).build());
    stub.ingest(IngestRequest.newBuilder().addRecords(pair[1]).build());
    QueryEntitiesRequest byPhone =
        QueryEntitiesRequest.newBuilder()
            .addDescriptors(AttrValue.newBuilder().setAttr("phone").setValue("p1"))
            .setReturnAll(true)
            .build();

    QueryEntitiesResponse current = stub.queryEntities(byPhone);
    QueryEntitiesResponse settled =
        stub.withDeadlineAfter(30, TimeUnit.SECONDS)
            .queryEntities(
                byPhone.toBuilder().setConsistency(Consistency.CONSISTENCY_SETTLED).build());

    assertThat(current.getSettled()).isFalse();
    assertThat(entities(current)).as("not reconciled yet: two entities").hasSize(2);
    assertThat(settled.getSettled()).isTrue();
    assertThat(entities(settled)).as("reconciled: the two records form one entity").hasSize(1);
  }

  @Test
  void pollingLoop_ofLeaseHolder_reconcilesWritesMadeThroughAnotherRouter() {
    ManagedChannel holder = router("router-a", Duration.ofMillis(200), Duration.ofSeconds(30));
    ManagedChannel other = router("router-b", Duration.ZERO, Duration.ofSeconds(30));
    client(other).setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    InProcessCluster.await(
        () -> routers.get(0).metrics().isLeaseHeld(), "router-a holds the lease");
    Record[] pair = crossShardPair("p2");

    client(other).ingest(IngestRequest.newBuilder().addRecords(pair[0]).build());
    client(other).ingest(IngestRequest.newBuilder().addRecords(pair[1]).build());

    InProcessCluster.await(
        () -> entityOf(client(other), pair[0]) == entityOf(client(other), pair[1]),
        "router-a's loop co-locates the pair written through router-b");
    InProcessCluster.await(
        () -> routers.get(0).metrics().lagSeconds() == 0, "no change left pending");
    assertThat(routers.get(1).metrics().isLeaseHeld()).isFalse();
    assertThat(client(holder).getRecord(identityRequest(pair[1])).getEntityId())
        .isEqualTo(entityOf(client(other), pair[0]));
  }

  @Test
  void upserts_throughOtherRouterWhileHolderMovesTheirRecords_areNeverLost() throws Exception {
    router("router-a", Duration.ofMillis(40), Duration.ofSeconds(30));
    ManagedChannel writer = router("router-b", Duration.ZERO, Duration.ofSeconds(30));
    client(writer).setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
    InProcessCluster.await(
        () -> routers.get(0).metrics().isLeaseHeld(), "router-a holds the lease");
    int pairs = 12;
    int versions = 15;
    List<Record[]> all = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      all.add(crossShardPair("q" + i));
    }
    Map<Identity, String> last = new HashMap<>();
    for (int v = 0; v < versions; v++) {
      IngestRequest.Builder batch = IngestRequest.newBuilder();
      for (Record[] pair : all) {
        for (Record r : pair) {
          Record versioned =
              r.toBuilder()
                  .addDescriptors(Descriptor.newBuilder().setAttr("n").setValue("v" + v))
                  .build();
          batch.addRecords(versioned);
          last.put(r.getIdentity(), "v" + v);
        }
      }
      client(writer).ingest(batch.build()); // acknowledged: must survive every move
    }
    // A settled read through the non-holder waits for the holder's loop to catch up.
    boolean settled =
        client(writer)
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .getStats(
                GetStatsRequest.newBuilder()
                    .setConsistency(Consistency.CONSISTENCY_SETTLED)
                    .build())
            .getSettled();

    assertThat(settled).isTrue();

    for (var e : last.entrySet()) {
      GetRecordResponse r =
          client(writer).getRecord(GetRecordRequest.newBuilder().setIdentity(e.getKey()).build());
      assertThat(liveCopies(e.getKey())).as("copies of %s", e.getKey().getUid()).hasSize(1);
      assertThat(r.getDescriptorsList())
          .as("last acknowledged content of %s", e.getKey().getUid())
          .anyMatch(d -> d.getAttr().equals("n") && d.getValue().equals(e.getValue()));
    }
    for (Record[] pair : all) {
      assertThat(entityOf(client(writer), pair[0])).isEqualTo(entityOf(client(writer), pair[1]));
    }
  }

  // ---- helpers

  /** Shards holding a live copy of {@code id} (with an empty uid: any record at all). */
  private List<Integer> liveCopies(Identity id) {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < shards.size(); s++) {
      var page =
          ShardGrpc.newBlockingStub(channel(shards.shardName(s)))
              .listLiveRecords(ListLiveRecordsRequest.newBuilder().setPageSize(10_000).build());
      for (Record r : page.getRecordsList()) {
        if (id.getUid().isEmpty() || r.getIdentity().equals(id)) {
          out.add(s);
        }
      }
    }
    return out;
  }

  /**
   * Two records that link through {@code phone} but are homed on different shards: the first holds
   * only the phone, the second an email (its smallest signature) and the phone.
   */
  private static Record[] crossShardPair(String phone) {
    Signatures sigs = new Signatures(ONTOLOGY);
    ShardMap map = new ShardMap(3);
    Record a = record("x-" + phone, "phone", phone);
    for (int i = 0; ; i++) {
      Record b =
          record("y-" + phone, "email", phone + "-" + i + "@x").toBuilder()
              .addDescriptors(Descriptor.newBuilder().setAttr("phone").setValue(phone))
              .build();
      if (map.shardOfSlot(sigs.homeSlot(b)) != map.shardOfSlot(sigs.homeSlot(a))) {
        return new Record[] {a, b};
      }
    }
  }

  private static List<Long> entities(QueryEntitiesResponse r) {
    return r.getMatches().getMatchesList().stream()
        .map(QueryMatch::getEntityId)
        .distinct()
        .toList();
  }

  private static GetRecordRequest identityRequest(Record r) {
    return GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build();
  }

  private static long entityOf(TemporaServiceBlockingStub stub, Record r) {
    return stub.getRecord(identityRequest(r)).getEntityId();
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
