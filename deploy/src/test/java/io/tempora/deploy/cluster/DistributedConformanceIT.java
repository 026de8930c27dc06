package io.tempora.deploy.cluster;

import static io.tempora.shardserver.grpc.ReadSnapshot.snapshot;
import static io.tempora.shardserver.grpc.WorkloadRequests.apply;
import static io.tempora.shardserver.grpc.WorkloadRequests.ontology;
import static io.tempora.shardserver.grpc.WorkloadRequests.queries;
import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.oracle.Workload;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.grpc.ReferenceShard;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DISTRIBUTED.md DS-T1 on real processes: random workloads of the engine's {@link
 * WorkloadGenerator} (cross-key chains, strong-id conflicts, updates changing key values, deletes)
 * ingested through bin/router in front of 1, 2 and 3 bin/shard processes, reconciled, and compared
 * with a single in-process engine given the same requests: partition, every entity's members,
 * golden record and conflicts, ListConflicts per entity type, GetRecord of every live record and
 * the workload's queries ({@link io.tempora.shardserver.grpc.ReadSnapshot}, shard-server's
 * test-jar, shared with the router's simulation). Entity ids are mapped to anchors; record ids,
 * versions and tx numbers are left out (moves re-create records on their new shard).
 *
 * <p>The processes are reused across workloads: workload {@code k} lives in its own namespace, its
 * entity types, values and ontology element names prefixed {@code w<seed>.} and every ontology
 * element scoped to its types, so no two workloads link, conflict or match each other; the
 * cluster's ontology (all workloads' elements) is set once, the reference gets its workload's.
 * {@code -Dtempora.conformance.workloads=N} sets the count (default 50; the {@code extended}
 * profile does not change it).
 */
class DistributedConformanceIT {
  private static final int WORKLOADS = Integer.getInteger("tempora.conformance.workloads", 50);
  @TempDir Path tmp;

  @Test
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void workloads_throughRouterWithOneTwoThreeShards_equalSingleEngine() throws Exception {
    WorkloadGenerator generator = new WorkloadGenerator();
    for (int shards = 1; shards <= 3; shards++) {
      List<Processes.Proc> procs = new ArrayList<>();
      Processes.Proc router = null;
      try {
        List<CompletableFuture<Processes.Proc>> starting = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
          int id = i;
          String name = shards + "-s" + i;
          starting.add(
              CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return Processes.shard(
                          id, Processes.freePort(), tmp.resolve(name), tmp.resolve(name + ".log"));
                    } catch (Exception e) {
                      throw new IllegalStateException("shard " + id + " did not start", e);
                    }
                  }));
        }
        for (CompletableFuture<Processes.Proc> f : starting) {
          procs.add(f.join());
        }
        router = Processes.router(Processes.freePort(), procs, tmp.resolve(shards + "-router.log"));
        TemporaServiceBlockingStub stub =
            TemporaServiceGrpc.newBlockingStub(router.channel())
                .withDeadlineAfter(10, TimeUnit.MINUTES);
        RouterGrpc.RouterBlockingStub admin =
            RouterGrpc.newBlockingStub(router.channel()).withDeadlineAfter(10, TimeUnit.MINUTES);
        long moved = 0;
        long entities = 0;
        // One ontology for every workload, set once: each workload's elements renamed and scoped
        // to its namespace, so no workload re-resolves another's records.
        Ontology.Builder all = Ontology.newBuilder();
        for (int k = 0; k < WORKLOADS; k++) {
          long seed = 1000L * shards + k;
          all.mergeFrom(ontology(generator.generate(seed), "w" + seed + "."));
        }
        stub.setOntology(SetOntologyRequest.newBuilder().setOntology(all).build());
        for (int k = 0; k < WORKLOADS; k++) {
          long seed = 1000L * shards + k;
          Workload w = generator.generate(seed);
          String ns = "w" + seed + ".";
          try (ReferenceShard ref = new ReferenceShard()) {
            ref.stub()
                .setOntology(SetOntologyRequest.newBuilder().setOntology(ontology(w, ns)).build());
            apply(ref.stub(), w, ns);
            apply(stub, w, ns);
            moved += admin.reconcile(ReconcileRequest.getDefaultInstance()).getMoved();
            List<QueryEntitiesRequest> queries = queries(generator.queries(w, seed), ns);
            List<String> types = w.entityTypes().stream().map(t -> ns + t).toList();
            String expected = snapshot(ref.stub(), ns, types, queries);
            String actual = snapshot(stub, ns, types, queries);
            assertThat(actual)
                .as("workload seed %d through a router with %d shard(s)", seed, shards)
                .isEqualTo(expected);
            entities += expected.lines().filter(l -> l.startsWith("entity ")).count();
          }
        }
        assertThat(entities).as("entities compared").isPositive();
        if (shards > 1) {
          assertThat(moved).as("records moved by reconciliation on %d shards", shards).isPositive();
        }
      } finally {
        if (router != null) {
          router.close();
        }
        procs.forEach(Processes.Proc::close);
      }
    }
  }
}
