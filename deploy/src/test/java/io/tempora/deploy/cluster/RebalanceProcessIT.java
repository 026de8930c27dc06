package io.tempora.deploy.cluster;

import static io.tempora.shardserver.grpc.ReadSnapshot.snapshot;
import static io.tempora.shardserver.grpc.WorkloadRequests.apply;
import static io.tempora.shardserver.grpc.WorkloadRequests.ontology;
import static io.tempora.shardserver.grpc.WorkloadRequests.queries;
import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.oracle.Workload;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.proto.internal.v1.GetShardInfoRequest;
import io.tempora.proto.internal.v1.RebalanceRequest;
import io.tempora.proto.internal.v1.RebalanceResponse;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.grpc.ReferenceShard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * DS-T7-lite (docs/distributed.md "Rebalancing"), real processes: 2 shards and a router, random
 * workloads plus bulk records ingested; a 3rd shard started on an empty data dir and a router
 * listing it; {@code bin/tempora admin rebalance --add-shard 2} plans the moves; the router is
 * SIGKILLed right after planning, restarted, resumes the moves from the rows on the sources and
 * completes them; after reconciliation every read equals a single engine given the same writes and
 * the record count is unchanged.
 */
class RebalanceProcessIT {
  private static final int WORKLOADS = 4;
  private static final int BULK = 8_000;

  // Kept when the test fails: the processes' logs and data dirs are what explains a failure.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path tmp;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void addShard_routerKilledMidMove_resumesAndReadsEqualSingleEngine() throws Exception {
    List<Processes.Proc> shards = new ArrayList<>();
    Processes.Proc router = null;
    WorkloadGenerator generator = new WorkloadGenerator();
    System.out.println("RebalanceProcessIT: process logs and data dirs in " + tmp);
    try (ReferenceShard ref = new ReferenceShard()) {
      for (int i = 0; i < 2; i++) {
        shards.add(shard(i));
      }
      router = Processes.router(Processes.freePort(), shards, tmp.resolve("router-1.log"));
      TemporaServiceBlockingStub stub = deadline(router);
      seed(stub, ref.stub(), generator, WORKLOADS, BULK);
      RouterGrpc.newBlockingStub(router.channel())
          .withDeadlineAfter(5, TimeUnit.MINUTES)
          .reconcile(ReconcileRequest.getDefaultInstance());
      long records = stub.getStats(GetStatsRequest.getDefaultInstance()).getRecords();
      router.close();

      shards.add(shard(2));
      router = Processes.router(Processes.freePort(), shards, tmp.resolve("router-2.log"));
      Run planned = tempora("admin", "rebalance", "--router", router.address(), "--add-shard", "2");
      router.kill();
      router.close();
      // With the router dead, the move rows on the sources are all that is left of the moves.
      int rows = 0;
      for (Processes.Proc s : shards) {
        rows +=
            ShardGrpc.newBlockingStub(s.channel())
                .getShardInfo(GetShardInfoRequest.getDefaultInstance())
                .getMovesCount();
      }

      router = Processes.router(Processes.freePort(), shards, tmp.resolve("router-3.log"));
      RebalanceResponse done = status(router, true);
      Run status = tempora("admin", "rebalance", "--router", router.address(), "--status");
      RouterGrpc.newBlockingStub(router.channel())
          .withDeadlineAfter(5, TimeUnit.MINUTES)
          .reconcile(ReconcileRequest.newBuilder().setFull(true).build());
      stub = deadline(router);

      assertThat(planned.exit()).as(planned.output()).isZero();
      assertThat(planned.output()).contains("planned 2 move(s) to shard 2");
      assertThat(rows).as("move rows left by the killed router").isPositive();
      assertThat(done.getMovesList()).isEmpty();
      assertThat(done.getSlotsPerShardList()).containsExactly(5461, 5462, 5461);
      assertThat(status.output()).contains("no move in progress");
      long onShards = 0;
      for (Processes.Proc s : shards) {
        onShards += s.stub().getStats(GetStatsRequest.getDefaultInstance()).getRecords();
        assertThat(
                ShardGrpc.newBlockingStub(s.channel())
                    .getShardInfo(GetShardInfoRequest.getDefaultInstance())
                    .getMap()
                    .getEpoch())
            .isEqualTo(3);
      }
      assertThat(onShards).as("records on the shards: none lost or duplicated").isEqualTo(records);
      assertThat(shards.get(2).stub().getStats(GetStatsRequest.getDefaultInstance()).getRecords())
          .isPositive();
      assertThat(stub.getStats(GetStatsRequest.getDefaultInstance()).getEntities())
          .isEqualTo(ref.stub().getStats(GetStatsRequest.getDefaultInstance()).getEntities());
      assertWorkloadsRead(stub, ref.stub(), generator, WORKLOADS);
    } finally {
      if (router != null) {
        router.close();
      }
      shards.forEach(Processes.Proc::close);
    }
  }

  private Processes.Proc shard(int id) throws IOException, InterruptedException {
    return Processes.shard(
        id, Processes.freePort(), tmp.resolve("s" + id), tmp.resolve("s" + id + ".log"));
  }

  private static TemporaServiceBlockingStub deadline(Processes.Proc router) {
    return io.tempora.proto.v1.TemporaServiceGrpc.newBlockingStub(router.channel())
        .withDeadlineAfter(5, TimeUnit.MINUTES);
  }

  private static RebalanceResponse status(Processes.Proc router, boolean waitDone) {
    return RouterGrpc.newBlockingStub(router.channel())
        .withDeadlineAfter(5, TimeUnit.MINUTES)
        .rebalance(RebalanceRequest.newBuilder().setStatus(true).setWait(waitDone).build());
  }

  /**
   * Every read of each of {@code workloads} workloads ({@link #seed}) through {@code stub} equals
   * the same read of {@code ref}.
   */
  static void assertWorkloadsRead(
      TemporaServiceBlockingStub stub,
      TemporaServiceBlockingStub ref,
      WorkloadGenerator generator,
      int workloads) {
    for (int k = 0; k < workloads; k++) {
      Workload w = generator.generate(k);
      String ns = "w" + k + ".";
      List<QueryEntitiesRequest> qs = queries(generator.queries(w, k), ns);
      List<String> types = w.entityTypes().stream().map(t -> ns + t).toList();
      assertThat(snapshot(stub, ns, types, qs))
          .as("workload %d after the moves", k)
          .isEqualTo(snapshot(ref, ns, types, qs));
    }
  }

  /**
   * Writes the same data through {@code stub} and into {@code ref}: the ontology of {@code
   * workloads} random workloads (namespaces {@code w0.}, {@code w1.}, …), their operations, then
   * {@code bulk} bulk records ({@link #bulk}, by thousands).
   */
  static void seed(
      TemporaServiceBlockingStub stub,
      TemporaServiceBlockingStub ref,
      WorkloadGenerator generator,
      int workloads,
      int bulk) {
    Ontology.Builder all = Ontology.newBuilder();
    for (int k = 0; k < workloads; k++) {
      all.mergeFrom(ontology(generator.generate(k), "w" + k + "."));
    }
    stub.setOntology(SetOntologyRequest.newBuilder().setOntology(all).build());
    ref.setOntology(SetOntologyRequest.newBuilder().setOntology(all).build());
    for (int k = 0; k < workloads; k++) {
      Workload w = generator.generate(k);
      apply(stub, w, "w" + k + ".");
      apply(ref, w, "w" + k + ".");
    }
    for (int b = 0; b < bulk / 1000; b++) {
      IngestRequest req = bulk(b);
      stub.ingest(req);
      ref.ingest(req);
    }
  }

  /**
   * 1,000 records of their own type {@code bulk} (perspective {@code load}, uid and value {@code
   * b-i}), each alone (no identity key covers it).
   */
  static IngestRequest bulk(int b) {
    IngestRequest.Builder req = IngestRequest.newBuilder();
    for (int i = 0; i < 1000; i++) {
      req.addRecords(
          Record.newBuilder()
              .setIdentity(
                  Identity.newBuilder()
                      .setEntityType("bulk")
                      .setPerspective("load")
                      .setUid(b + "-" + i))
              .addDescriptors(Descriptor.newBuilder().setAttr("n").setValue(b + "-" + i)));
    }
    return req.build();
  }

  private record Run(int exit, String output) {}

  private Run tempora(String... args) throws IOException, InterruptedException {
    Path bin = Path.of(System.getProperty("user.dir")).resolveSibling("bin").resolve("tempora");
    List<String> cmd = new ArrayList<>(List.of(bin.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "tempora", ".out");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Run(-1, Files.readString(out) + "\n(timed out)");
    }
    return new Run(p.exitValue(), Files.readString(out));
  }
}
