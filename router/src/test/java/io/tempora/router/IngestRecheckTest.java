package io.tempora.router;

import static io.tempora.router.ContactRecords.ONTOLOGY;
import static io.tempora.router.ContactRecords.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.tempora.proto.internal.v1.HomeClaim;
import io.tempora.proto.internal.v1.HomeMove;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ResolveHomesRequest;
import io.tempora.proto.internal.v1.ResolveHomesResponse;
import io.tempora.proto.internal.v1.SetHomesRequest;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.internal.v1.ShardGrpc.ShardBlockingStub;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HomeRecheck's directory change counters (docs/distributed.md "Ingest"): a write whose directory
 * shards report after its sub-batches the counter they reported to its resolve is not looked up
 * again; a home row changed in between (any row of that directory shard) brings the look-up back.
 * Real in-process gRPC; the calls each shard receives are counted by kind.
 */
class IngestRecheckTest {
  private static final Signatures SIGS = new Signatures(ONTOLOGY);
  private static final ShardMap MAP = new ShardMap(3);

  private final AtomicReference<InProcessCluster.Trap> hook = new AtomicReference<>();
  private final List<Calls> calls = new ArrayList<>();
  private InProcessCluster cluster;
  private TemporaServiceBlockingStub client;

  /** ResolveHomes calls one shard received, by kind. */
  private static final class Calls {
    final AtomicInteger claims = new AtomicInteger();
    final AtomicInteger lookups = new AtomicInteger();
    final AtomicInteger counters = new AtomicInteger();
  }

  @BeforeEach
  void start() {
    for (int i = 0; i < 3; i++) {
      calls.add(new Calls());
    }
    cluster = InProcessCluster.start(3, this::interceptor);
    cluster.router("router-a", Duration.ofSeconds(30));
    ManagedChannel channel = cluster.channel("router-a");
    client = TemporaServiceGrpc.newBlockingStub(channel);
    client.setOntology(SetOntologyRequest.newBuilder().setOntology(ONTOLOGY).build());
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private ServerInterceptor interceptor(int shard) {
    ServerInterceptor trap = InProcessCluster.trap(shard, hook);
    Calls counts = calls.get(shard);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return trap.interceptCall(
            call,
            headers,
            (c, h) ->
                new SimpleForwardingServerCallListener<Q>(next.startCall(c, h)) {
                  @Override
                  public void onMessage(Q message) {
                    if (message instanceof ResolveHomesRequest r) {
                      if (r.getClaimsCount() == 0) {
                        counts.counters.incrementAndGet();
                      } else if (r.getClaims(0).hasProposedSlot()) {
                        counts.claims.incrementAndGet();
                      } else {
                        counts.lookups.incrementAndGet();
                      }
                    }
                    super.onMessage(message);
                  }
                });
      }
    };
  }

  private void resetCounts() {
    for (Calls c : calls) {
      c.claims.set(0);
      c.lookups.set(0);
      c.counters.set(0);
    }
  }

  private int lookups() {
    return calls.stream().mapToInt(c -> c.lookups.get()).sum();
  }

  private ShardBlockingStub shard(int s) {
    return ShardGrpc.newBlockingStub(cluster.shardChannel(s));
  }

  private static Set<Integer> directoryShards(Record... records) {
    Set<Integer> out = new TreeSet<>();
    for (Record r : records) {
      out.add(MAP.shardOf(r.getIdentity()));
    }
    return out;
  }

  @Test
  void ingest_noHomeRowChangedMeanwhile_recheckAsksCountersOnly() {
    Record[] pair = ContactRecords.crossShardPair();
    resetCounts();

    client.ingest(IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());

    assertThat(lookups()).as("identities looked up again").isZero();
    for (int d : directoryShards(pair)) {
      assertThat(calls.get(d).claims.get()).as("claims on shard %d", d).isEqualTo(1);
      assertThat(calls.get(d).counters.get()).as("counter checks on shard %d", d).isEqualTo(1);
    }
    for (Record r : pair) {
      assertThat(liveCopies(r.getIdentity())).containsExactly(MAP.shardOfSlot(SIGS.homeSlot(r)));
    }
  }

  @Test
  void ingest_otherHomeRowChangedBeforeRecheck_looksUpAgainAndKeepsHome() {
    Record r = record("solo", "email", "solo@x");
    int directory = MAP.shardOf(r.getIdentity());
    int home = MAP.shardOfSlot(SIGS.homeSlot(r));
    Record other = null;
    for (int i = 0; other == null; i++) {
      Record candidate = record("other-" + i, "email", "other-" + i + "@x");
      if (MAP.shardOf(candidate.getIdentity()) == directory) {
        other = candidate;
      }
    }
    client.ingest(IngestRequest.newBuilder().addRecords(other).build());
    Identity otherId = other.getIdentity();
    int otherSlot = SIGS.homeSlot(other);
    // While r's sub-batch reaches its home, another identity's home row on r's directory shard
    // changes (as a reconciliation move's CAS would): the counter r's resolve saw is stale.
    Runnable cas =
        () ->
            shard(directory)
                .setHomes(
                    SetHomesRequest.newBuilder()
                        .addMoves(
                            HomeMove.newBuilder()
                                .setIdentity(otherId)
                                .setExpectedSlot(otherSlot)
                                .setNewSlot((otherSlot + 1) % ShardMap.SLOTS))
                        .build());
    hook.set(new InProcessCluster.Trap(home, "Ingest", cas));
    resetCounts();

    client.ingest(IngestRequest.newBuilder().addRecords(r).build());

    assertThat(hook.get()).as("the CAS ran inside the write").isNull();
    assertThat(calls.get(directory).lookups.get()).as("look-ups on the directory shard").isOne();
    assertThat(liveCopies(r.getIdentity())).containsExactly(home);
  }

  @Test
  void delete_noHomeRowChangedMeanwhile_looksUpOnlyBeforeTheWrite() {
    Record[] pair = ContactRecords.crossShardPair();
    client.ingest(IngestRequest.newBuilder().addRecords(pair[0]).addRecords(pair[1]).build());
    resetCounts();

    client.delete(
        DeleteRequest.newBuilder()
            .addIdentities(pair[0].getIdentity())
            .addIdentities(pair[1].getIdentity())
            .build());

    assertThat(lookups()).as("look-ups").isEqualTo(directoryShards(pair).size());
    for (Record r : pair) {
      assertThat(liveCopies(r.getIdentity())).isEmpty();
    }
  }

  @Test
  void resolveHomes_claimsThenSetHomesThenRestart_reportsCounterAndIncarnation() {
    Identity id = record("counted", "email", "counted@x").getIdentity();
    ResolveHomesResponse claimed =
        shard(0)
            .resolveHomes(
                ResolveHomesRequest.newBuilder()
                    .addClaims(HomeClaim.newBuilder().setIdentity(id).setProposedSlot(5))
                    .build());
    ResolveHomesResponse afterClaim =
        shard(0).resolveHomes(ResolveHomesRequest.getDefaultInstance());
    shard(0)
        .setHomes(
            SetHomesRequest.newBuilder()
                .addMoves(HomeMove.newBuilder().setIdentity(id).setExpectedSlot(5).setNewSlot(6))
                .build());
    ResolveHomesResponse afterCas = shard(0).resolveHomes(ResolveHomesRequest.getDefaultInstance());
    cluster.restartShard(0);
    ResolveHomesResponse afterRestart =
        shard(0).resolveHomes(ResolveHomesRequest.getDefaultInstance());

    assertThat(claimed.getDirectoryIncarnation()).isNotZero();
    assertThat(afterClaim.getDirectoryIncarnation()).isEqualTo(claimed.getDirectoryIncarnation());
    assertThat(afterClaim.getDirectoryChanges())
        .as("a claim of an absent row is no change")
        .isEqualTo(claimed.getDirectoryChanges());
    assertThat(afterCas.getDirectoryIncarnation()).isEqualTo(claimed.getDirectoryIncarnation());
    assertThat(afterCas.getDirectoryChanges()).isGreaterThan(afterClaim.getDirectoryChanges());
    assertThat(afterRestart.getDirectoryIncarnation())
        .isNotEqualTo(claimed.getDirectoryIncarnation());
  }

  @Test
  void unchangedAt_unreportedChangedOrMissingCounter_provesNothing() {
    Directory.Version seen = new Directory.Version(7, 5);

    assertThat(new Directory.Version(0, 5).unchangedAt(new Directory.Version(0, 5)))
        .as("a shard reporting no counter (incarnation 0)")
        .isFalse();
    assertThat(seen.unchangedAt(new Directory.Version(7, 6))).as("counter grew").isFalse();
    assertThat(seen.unchangedAt(new Directory.Version(8, 5))).as("shard restarted").isFalse();
    assertThat(seen.unchangedAt(null)).as("shard did not answer").isFalse();
    assertThat(seen.unchangedAt(new Directory.Version(7, 5))).isTrue();
  }

  private List<Integer> liveCopies(Identity id) {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < cluster.size(); s++) {
      for (Record r :
          shard(s)
              .listLiveRecords(ListLiveRecordsRequest.newBuilder().setPageSize(10_000).build())
              .getRecordsList()) {
        if (r.getIdentity().equals(id)) {
          out.add(s);
        }
      }
    }
    return out;
  }
}
