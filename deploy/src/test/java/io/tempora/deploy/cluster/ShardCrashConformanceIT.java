package io.tempora.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.engine.oracle.Op;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.RecordStatus;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.grpc.ReadSnapshot;
import io.tempora.shardserver.grpc.ReferenceShard;
import io.tempora.shardserver.grpc.WorkloadRequests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DISTRIBUTED.md DS-T2 on real processes: 2 bin/shard processes behind bin/router. For each random
 * workload (the engine's {@link WorkloadGenerator}, in its own namespace as in {@link
 * DistributedConformanceIT}): the first half of its operations, then one large ingest request of
 * fresh identities copying the workload's records (so they link and conflict with them) during
 * which shard 1 is SIGSTOPped and then SIGKILLed; the answer is UNAVAILABLE listing failed
 * positions, and every position not listed is stored. Shard 1 is restarted on its data, the same
 * request is resent and succeeds (unlisted positions UNCHANGED), the rest of the workload follows,
 * Reconcile, and every read equals a single engine given the same requests once each. {@code
 * -Dtempora.crash.workloads=N} sets the count (default 3).
 */
class ShardCrashConformanceIT {
  private static final int WORKLOADS = Integer.getInteger("tempora.crash.workloads", 3);
  private static final Pattern FAILED = Pattern.compile("^failed positions \\[([0-9, ]*)\\]");

  @TempDir Path tmp;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void ingest_shardKilledMidRequest_failsListedPositionsThenRetryAndReconcileEqualSingleEngine()
      throws Exception {
    WorkloadGenerator generator = new WorkloadGenerator();
    int port1 = Processes.freePort();
    Processes.Proc shard0 =
        Processes.shard(0, Processes.freePort(), tmp.resolve("s0"), tmp.resolve("s0.log"));
    Processes.Proc shard1 = Processes.shard(1, port1, tmp.resolve("s1"), tmp.resolve("s1.log"));
    Processes.Proc router =
        Processes.router(Processes.freePort(), List.of(shard0, shard1), tmp.resolve("router.log"));
    try {
      TemporaServiceBlockingStub stub =
          TemporaServiceGrpc.newBlockingStub(router.channel())
              .withDeadlineAfter(10, TimeUnit.MINUTES);
      Ontology.Builder all = Ontology.newBuilder();
      for (int k = 0; k < WORKLOADS; k++) {
        long seed = 7000L + k;
        all.mergeFrom(WorkloadRequests.ontology(generator.generate(seed), "w" + seed + "."));
      }
      stub.setOntology(SetOntologyRequest.newBuilder().setOntology(all).build());
      long failedPositions = 0;
      for (int k = 0; k < WORKLOADS; k++) {
        long seed = 7000L + k;
        Workload w = generator.generate(seed);
        String ns = "w" + seed + ".";
        List<Op> first = w.ops().subList(0, w.ops().size() / 2);
        List<Op> rest = w.ops().subList(w.ops().size() / 2, w.ops().size());
        IngestRequest big = copies(w, ns, seed);
        try (ReferenceShard ref = new ReferenceShard()) {
          ref.stub()
              .setOntology(
                  SetOntologyRequest.newBuilder()
                      .setOntology(WorkloadRequests.ontology(w, ns))
                      .build());
          WorkloadRequests.apply(ref.stub(), first, ns);
          ref.stub().ingest(big);
          WorkloadRequests.apply(ref.stub(), rest, ns);

          WorkloadRequests.apply(stub, first, ns);
          shard1.signal("STOP");
          CompletableFuture<IngestResponse> inFlight =
              CompletableFuture.supplyAsync(() -> stub.ingest(big));
          shard1.kill();
          List<Integer> failed = failedPositions(inFlight);
          for (int p = 0; p < big.getRecordsCount(); p++) {
            if (!failed.contains(p)) {
              assertThat(stored(stub, big.getRecords(p)))
                  .as("seed %d: position %d is not listed, so it was applied", seed, p)
                  .isTrue();
            }
          }

          shard1 = Processes.shard(1, port1, tmp.resolve("s1"), tmp.resolve("s1.log"));
          IngestResponse retry = stub.ingest(big);
          for (int p = 0; p < big.getRecordsCount(); p++) {
            if (!failed.contains(p)) {
              assertThat(retry.getItems(p).getOutcome())
                  .as("seed %d: position %d was applied before", seed, p)
                  .isEqualTo(Outcome.OUTCOME_UNCHANGED);
            }
          }
          WorkloadRequests.apply(stub, rest, ns);
          RouterGrpc.newBlockingStub(router.channel())
              .withDeadlineAfter(10, TimeUnit.MINUTES)
              .reconcile(ReconcileRequest.getDefaultInstance());

          List<QueryEntitiesRequest> queries =
              WorkloadRequests.queries(generator.queries(w, seed), ns);
          List<String> types = w.entityTypes().stream().map(t -> ns + t).toList();
          assertThat(ReadSnapshot.snapshot(stub, ns, types, queries))
              .as("workload seed %d after a shard crash, retry and reconciliation", seed)
              .isEqualTo(ReadSnapshot.snapshot(ref.stub(), ns, types, queries));
          failedPositions += failed.size();
        }
      }
      assertThat(failedPositions).as("positions failed by the crashes").isPositive();
    } finally {
      router.close();
      shard1.close();
      shard0.close();
    }
  }

  /** The UNAVAILABLE answer's failed positions; fails the test on any other outcome. */
  private static List<Integer> failedPositions(CompletableFuture<IngestResponse> call) {
    StatusRuntimeException e;
    try {
      call.join();
      throw new AssertionError("the ingest succeeded although shard 1 was killed");
    } catch (CompletionException c) {
      assertThat(c.getCause()).isInstanceOf(StatusRuntimeException.class);
      e = (StatusRuntimeException) c.getCause();
    }
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    Matcher m = FAILED.matcher(e.getStatus().getDescription());
    assertThat(m.find()).as("description: %s", e.getStatus().getDescription()).isTrue();
    List<Integer> out = new ArrayList<>();
    Arrays.stream(m.group(1).split(", ")).map(Integer::parseInt).forEach(out::add);
    assertThat(e.getStatus().getDescription()).contains("shard 1 UNAVAILABLE");
    return out;
  }

  /**
   * True iff the record is live through the router: its identity is fresh, so only this request can
   * have created it.
   */
  private static boolean stored(TemporaServiceBlockingStub stub, Record r) {
    try {
      GetRecordResponse got =
          stub.getRecord(GetRecordRequest.newBuilder().setIdentity(r.getIdentity()).build());
      return got.getStatus() == RecordStatus.RECORD_STATUS_LIVE;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  /**
   * Fresh identities ({@code crash-<seed>-<i>}) carrying the descriptors of the workload's upserted
   * records: they link and conflict with the workload's records across shards.
   */
  private static IngestRequest copies(Workload w, String ns, long seed) {
    List<Record> records = new ArrayList<>();
    for (Op op : w.ops()) {
      if (op instanceof Op.Upsert u) {
        for (Record r : WorkloadRequests.ingest(u, ns).getRecordsList()) {
          records.add(r);
        }
      }
    }
    IngestRequest.Builder b = IngestRequest.newBuilder();
    for (int i = 0; i < Math.min(80, records.size()); i++) {
      Record r = records.get(i);
      b.addRecords(
          r.toBuilder().setIdentity(r.getIdentity().toBuilder().setUid("crash-" + seed + "-" + i)));
    }
    return b.build();
  }
}
