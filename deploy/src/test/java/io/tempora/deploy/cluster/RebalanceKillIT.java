package io.tempora.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.proto.internal.v1.GetShardInfoRequest;
import io.tempora.proto.internal.v1.MoveStatus;
import io.tempora.proto.internal.v1.RebalanceRequest;
import io.tempora.proto.internal.v1.RebalanceResponse;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.EntityStatus;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.grpc.ReferenceShard;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DISTRIBUTED.md DS-T7 on real processes: slots moved while a client writes, with the source, the
 * target and the router SIGKILLed mid-move and the move resumed. 2 shards behind a router hold
 * random workloads and bulk records; a 3rd shard joins and {@code bin/tempora admin rebalance
 * --add-shard 2} plans its moves. While one client thread keeps writing through the router (new
 * records and upserts of bulk records, each request resent until it is acknowledged, which is safe
 * per DISTRIBUTED.md §3), the test SIGKILLs a move's source shard once the move has copied records
 * and restarts it on its data dir, then the target shard, then the router (a new router resumes the
 * moves from the rows on the sources). After the moves are done and a full Reconcile: the records
 * on the shards equal the acknowledged writes (none lost or duplicated), every acknowledged write
 * reads back with its last content, and stats and every read of the workloads equal a single engine
 * given the same requests, and every identity written before the moves is still in the entity with
 * the same id (moved entities keep their ids, docs/decisions.md D3), which GetEntity finds active.
 */
class RebalanceKillIT {
  private static final int WORKLOADS = 2;
  private static final int BULK = 6_000;
  private static final int REQUEST = 20;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void
      addShard_sourceTargetAndRouterKilledMidMoveWhileWriting_noWriteLostAndReadsEqualSingleEngine()
          throws Exception {
    WorkloadGenerator generator = new WorkloadGenerator();
    int[] ports = {Processes.freePort(), Processes.freePort(), Processes.freePort()};
    List<Processes.Proc> shards = new ArrayList<>();
    AtomicReference<Processes.Proc> router = new AtomicReference<>();
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<List<IngestRequest>> writer = null;
    try (ReferenceShard ref = new ReferenceShard()) {
      for (int i = 0; i < 2; i++) {
        shards.add(shard(i, ports[i]));
      }
      router.set(Processes.router(Processes.freePort(), shards, tmp.resolve("router-1.log")));
      TemporaServiceBlockingStub stub = stub(router.get());
      RebalanceProcessIT.seed(stub, ref.stub(), generator, WORKLOADS, BULK);
      reconcile(router.get(), false);
      Map<Identity, Long> idsBefore = entityIds(stub);
      router.get().close();

      shards.add(shard(2, ports[2]));
      router.set(Processes.router(Processes.freePort(), shards, tmp.resolve("router-2.log")));
      Processes.Proc planner = router.get();
      RebalanceResponse planned =
          RouterGrpc.newBlockingStub(planner.channel())
              .withDeadlineAfter(2, TimeUnit.MINUTES)
              .rebalance(RebalanceRequest.newBuilder().setAddShard(2).build());
      writer = CompletableFuture.supplyAsync(() -> write(router, stop));

      // The source of a move that has copied records, killed and restarted on its data dir.
      MoveStatus copying = awaitCopying(planner);
      int source = copying.getMove().getSource();
      System.out.printf(
          "RebalanceKillIT: killing source shard %d after %d of %d records examined%n",
          source, copying.getMove().getExamined(), copying.getMove().getTotal());
      shards.get(source).kill();
      shards.get(source).close();
      shards.set(source, shard(source, ports[source]));
      // Then the target, then the router running the moves.
      shards.get(2).kill();
      shards.get(2).close();
      shards.set(2, shard(2, ports[2]));
      // The router dies once a move has flipped (its activation and clean are resumed by the next
      // router before that one serves writes), or once one is done.
      RebalanceResponse before = awaitFlip(planner);
      System.out.printf(
          "RebalanceKillIT: killing the router with moves in phases %s%n",
          before.getMovesList().stream().map(m -> m.getMove().getPhase()).toList());
      planner.kill();
      planner.close();
      router.set(Processes.router(Processes.freePort(), shards, tmp.resolve("router-3.log")));

      RebalanceResponse done =
          RouterGrpc.newBlockingStub(router.get().channel())
              .withDeadlineAfter(10, TimeUnit.MINUTES)
              .rebalance(RebalanceRequest.newBuilder().setStatus(true).setWait(true).build());
      stop.set(true);
      List<IngestRequest> acknowledged = writer.get(5, TimeUnit.MINUTES);
      for (IngestRequest req : acknowledged) {
        ref.stub().ingest(req);
      }
      reconcile(router.get(), true);
      stub = stub(router.get());

      assertThat(planned.getMessage()).contains("planned 2 move(s) to shard 2");
      assertThat(acknowledged).as("requests acknowledged during the moves").isNotEmpty();
      assertThat(done.getMovesList()).isEmpty();
      assertThat(done.getSlotsPerShardList()).containsExactly(5461, 5462, 5461);
      long onShards = 0;
      for (Processes.Proc s : shards) {
        onShards += s.stub().getStats(GetStatsRequest.getDefaultInstance()).getRecords();
        assertThat(
                ShardGrpc.newBlockingStub(s.channel())
                    .getShardInfo(GetShardInfoRequest.getDefaultInstance())
                    .getMovesCount())
            .as("move rows left on a shard")
            .isZero();
      }
      GetStatsResponse single = ref.stub().getStats(GetStatsRequest.getDefaultInstance());
      assertThat(onShards)
          .as("records on the shards: none lost or duplicated")
          .isEqualTo(single.getRecords());
      GetStatsResponse routed = stub.getStats(GetStatsRequest.getDefaultInstance());
      assertThat(List.of(routed.getRecords(), routed.getEntities(), routed.getConflicts()))
          .isEqualTo(List.of(single.getRecords(), single.getEntities(), single.getConflicts()));
      assertThat(shards.get(2).stub().getStats(GetStatsRequest.getDefaultInstance()).getRecords())
          .isPositive();
      // Slot moves keep entity ids (the target adopts them, docs/decisions.md D3): every
      // identity written before the moves is in the entity it was in, and GetEntity finds it.
      // Identities written during the moves are left out: a write reaching the target between a
      // flip and the end of its activation is kept (the staged copy is older), in a new entity.
      Map<Identity, Long> idsAfter = entityIds(stub);
      Map<Identity, List<Descriptor>> written = lastWritten(acknowledged);
      assertThat(idsBefore).isNotEmpty();
      Map<Identity, Long> changed = new LinkedHashMap<>();
      idsBefore.forEach(
          (id, eid) -> {
            if (!written.containsKey(id) && !eid.equals(idsAfter.get(id))) {
              changed.put(id, idsAfter.get(id));
            }
          });
      assertThat(changed)
          .as("identities whose entity id changed (of %d)", idsBefore.size())
          .isEmpty();
      for (long eid : idsBefore.values().stream().distinct().limit(200).toList()) {
        assertThat(
                stub.getEntity(GetEntityRequest.newBuilder().setEntityId(eid).build()).getStatus())
            .as("GetEntity %d", eid)
            .isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
      }
      for (Map.Entry<Identity, List<Descriptor>> last : written.entrySet()) {
        GetRecordResponse got =
            stub.getRecord(GetRecordRequest.newBuilder().setIdentity(last.getKey()).build());
        assertThat(got.getDescriptorsList())
            .extracting(d -> d.getAttr() + "=" + d.getValue())
            .as("acknowledged write of %s", last.getKey().getUid())
            .containsExactlyInAnyOrderElementsOf(
                last.getValue().stream().map(d -> d.getAttr() + "=" + d.getValue()).toList());
      }
      RebalanceProcessIT.assertWorkloadsRead(stub, ref.stub(), generator, WORKLOADS);
    } finally {
      stop.set(true);
      if (writer != null) {
        writer.handle((r, e) -> null).get(2, TimeUnit.MINUTES);
      }
      if (router.get() != null) {
        router.get().close();
      }
      shards.forEach(Processes.Proc::close);
    }
  }

  /**
   * One client: new records and upserts of bulk records, one request at a time through whichever
   * router is current, each resent until acknowledged. Returns the acknowledged requests in order.
   */
  private static List<IngestRequest> write(
      AtomicReference<Processes.Proc> router, AtomicBoolean stop) {
    List<IngestRequest> acknowledged = new ArrayList<>();
    int resent = 0;
    for (int n = 0; !stop.get(); n++) {
      IngestRequest.Builder req = IngestRequest.newBuilder();
      for (int i = 0; i < REQUEST; i++) {
        // Every other request changes bulk records (whose homes are on every shard).
        String uid =
            n % 2 == 0 ? "new-" + n + "-" + i : (n * 7 + i) % 6 + "-" + (n * 31 + i) % 1000;
        req.addRecords(record(uid, "v" + n));
      }
      IngestRequest built = req.build();
      long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (true) {
        try {
          stub(router.get()).withDeadlineAfter(30, TimeUnit.SECONDS).ingest(built);
          acknowledged.add(built);
          break;
        } catch (StatusRuntimeException e) {
          // UNAVAILABLE while a shard or the router is down, or a stale map: resending is safe.
          if (System.nanoTime() > until) {
            throw new IllegalStateException("request " + n + " not acknowledged in 5 minutes", e);
          }
          resent++;
          backOff();
        }
      }
    }
    System.out.printf(
        "RebalanceKillIT: %d requests acknowledged during the moves, %d resends%n",
        acknowledged.size(), resent);
    return acknowledged;
  }

  private static void backOff() {
    try {
      TimeUnit.MILLISECONDS.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Polls the router's status until a move has copied records (at most 3 minutes). */
  private static MoveStatus awaitCopying(Processes.Proc router) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (true) {
      RebalanceResponse status =
          RouterGrpc.newBlockingStub(router.channel())
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .rebalance(RebalanceRequest.newBuilder().setStatus(true).build());
      for (MoveStatus m : status.getMovesList()) {
        if (m.getMove().getPhase().equals("COPY") && m.getMove().getCopied() > 0) {
          return m;
        }
      }
      assertThat(System.nanoTime()).as("waiting for a move to copy records").isLessThan(until);
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** Every live identity's entity id, through the router (ListEntities). */
  private static Map<Identity, Long> entityIds(TemporaServiceBlockingStub stub) {
    Map<Identity, Long> out = new LinkedHashMap<>();
    long after = 0;
    do {
      ListEntitiesResponse page =
          stub.listEntities(
              ListEntitiesRequest.newBuilder().setAfterId(after).setPageSize(1000).build());
      for (EntitySummary e : page.getEntitiesList()) {
        e.getMembersList().forEach(m -> out.put(m, e.getEntityId()));
      }
      after = page.getNextAfterId();
    } while (after != 0);
    return out;
  }

  /** Polls the router's status until a move has flipped or finished (at most 5 minutes). */
  private static RebalanceResponse awaitFlip(Processes.Proc router) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (true) {
      RebalanceResponse status =
          RouterGrpc.newBlockingStub(router.channel())
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .rebalance(RebalanceRequest.newBuilder().setStatus(true).build());
      if (status.getMovesCount() < 2
          || status.getMovesList().stream()
              .anyMatch(m -> m.getMove().getPhase().equals("FLIPPED"))) {
        return status;
      }
      assertThat(System.nanoTime()).as("waiting for a move to flip").isLessThan(until);
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** Per identity, the descriptors of the last acknowledged request writing it. */
  private static Map<Identity, List<Descriptor>> lastWritten(List<IngestRequest> requests) {
    Map<Identity, List<Descriptor>> out = new LinkedHashMap<>();
    for (IngestRequest req : requests) {
      for (Record r : req.getRecordsList()) {
        out.put(r.getIdentity(), r.getDescriptorsList());
      }
    }
    return out;
  }

  private static void reconcile(Processes.Proc router, boolean full) {
    RouterGrpc.newBlockingStub(router.channel())
        .withDeadlineAfter(5, TimeUnit.MINUTES)
        .reconcile(ReconcileRequest.newBuilder().setFull(full).build());
  }

  private Processes.Proc shard(int id, int port) throws IOException, InterruptedException {
    return Processes.shard(id, port, tmp.resolve("s" + id), tmp.resolve("s" + id + ".log"));
  }

  private static TemporaServiceBlockingStub stub(Processes.Proc router) {
    return TemporaServiceGrpc.newBlockingStub(router.channel())
        .withDeadlineAfter(5, TimeUnit.MINUTES);
  }

  private static Record record(String uid, String value) {
    return Record.newBuilder()
        .setIdentity(Identity.newBuilder().setEntityType("bulk").setPerspective("load").setUid(uid))
        .addDescriptors(Descriptor.newBuilder().setAttr("n").setValue(value))
        .build();
  }
}
