package io.tempora.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.oracle.Op;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.ConflictFilter;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DISTRIBUTED.md DS-T1 on real processes: random workloads of the engine's {@link
 * WorkloadGenerator} (cross-key chains, strong-id conflicts, updates changing key values, deletes)
 * ingested through bin/router in front of 1, 2 and 3 bin/shard processes, reconciled, and compared
 * with a single in-process engine given the same requests: partition, every entity's members,
 * golden record and conflicts, ListConflicts per entity type, GetRecord of every live record and
 * the workload's queries. Entity ids are mapped to anchors; record ids, versions and tx numbers are
 * left out (moves re-create records on their new shard).
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
  private static final Pattern ID =
      Pattern.compile("(entity_id|entity_a|entity_b|requested|resolved): (\\d+)");
  private static final Pattern DROPPED =
      Pattern.compile(
          "(?m)^\\s*(record_id|version|aliases|deleted_tx|ontology_version|tx|settled): .*\\n");

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
          try (Reference ref = new Reference()) {
            ref.stub.setOntology(
                SetOntologyRequest.newBuilder().setOntology(ontology(w, ns)).build());
            apply(ref.stub, w, ns);
            apply(stub, w, ns);
            moved += admin.reconcile(ReconcileRequest.getDefaultInstance()).getMoved();
            List<QueryEntitiesRequest> queries = queries(generator.queries(w, seed), ns);
            List<String> types = w.entityTypes().stream().map(t -> ns + t).toList();
            String expected = snapshot(ref.stub, ns, types, queries);
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

  /** A fresh single in-process engine (shard 0, in memory) serving TemporaService. */
  static final class Reference implements AutoCloseable {
    final InMemoryStore store = new InMemoryStore();
    final ShardServer server;
    final ManagedChannel channel;
    final TemporaServiceBlockingStub stub;

    Reference() {
      String name = "reference-" + UUID.randomUUID();
      server =
          ShardServer.start(
              InProcessServerBuilder.forName(name),
              null,
              ShardServerConfig.defaults("127.0.0.1", 0)
                  .withHealthPort(-1)
                  .withShutdown(Duration.ZERO, Duration.ofSeconds(5)),
              new Engine(store, new EngineConfig(0, Limits.defaults())));
      channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      stub = TemporaServiceGrpc.newBlockingStub(channel);
    }

    @Override
    public void close() {
      channel.shutdownNow();
      server.close();
      store.close();
    }
  }

  static void apply(TemporaServiceBlockingStub stub, Workload w, String ns) {
    apply(stub, w.ops(), ns);
  }

  static void apply(TemporaServiceBlockingStub stub, List<Op> ops, String ns) {
    for (Op op : ops) {
      switch (op) {
        case Op.Upsert u -> stub.ingest(ingest(u, ns));
        case Op.Delete d -> {
          DeleteRequest.Builder b = DeleteRequest.newBuilder();
          d.identities().forEach(id -> b.addIdentities(identity(id, ns)));
          stub.delete(b.build());
        }
      }
    }
  }

  /** The ingest request of an upsert, in namespace {@code ns}. */
  static IngestRequest ingest(Op.Upsert u, String ns) {
    IngestRequest.Builder b = IngestRequest.newBuilder();
    for (RecordInput r : u.records()) {
      Record.Builder rb = Record.newBuilder().setIdentity(identity(r.identity(), ns));
      for (io.tempora.engine.model.Descriptor d : r.descriptors()) {
        Interval.Builder i = Interval.newBuilder();
        if (!d.startOmitted()) {
          i.setStart(d.start());
        }
        if (!d.endOmitted()) {
          i.setEnd(d.end());
        }
        rb.addDescriptors(
            Descriptor.newBuilder().setAttr(d.attr()).setValue(ns + d.value()).setInterval(i));
      }
      b.addRecords(rb);
    }
    return b.build();
  }

  static Identity identity(io.tempora.engine.model.Identity id, String ns) {
    return Identity.newBuilder()
        .setEntityType(ns + id.entityType())
        .setPerspective(id.perspective())
        .setUid(id.uid())
        .build();
  }

  /** An element's entity types in the namespace; "all types" becomes the workload's types. */
  private static List<String> types(List<String> types, List<String> all, String ns) {
    return (types.isEmpty() ? all : types).stream().map(t -> ns + t).toList();
  }

  static Ontology ontology(Workload w, String ns) {
    var o = w.ontology();
    List<String> all = List.of("person", "company");
    Ontology.Builder b = Ontology.newBuilder();
    o.identityKeys()
        .forEach(
            k ->
                b.addIdentityKeysBuilder()
                    .setName(ns + k.name())
                    .addAllAttributes(k.attributes())
                    .addAllEntityTypes(types(k.entityTypes(), all, ns)));
    o.strongIdentifiers()
        .forEach(
            s ->
                b.addStrongIdentifiersBuilder()
                    .setAttribute(s.attribute())
                    .addAllEntityTypes(types(s.entityTypes(), all, ns)));
    o.constraints()
        .forEach(
            c ->
                b.addConstraintsBuilder()
                    .setName(ns + c.name())
                    .setAttribute(c.attribute())
                    .setKind(
                        io.tempora.proto.v1.ConstraintKind.valueOf(
                            "CONSTRAINT_KIND_" + c.kind().name()))
                    .addAllEntityTypes(types(c.entityTypes(), all, ns)));
    o.ignoredValues()
        .forEach(
            iv ->
                b.addIgnoredValuesBuilder()
                    .setAttribute(iv.attribute())
                    .addAllValues(iv.values().stream().map(v -> ns + v).toList())
                    .addAllEntityTypes(types(iv.entityTypes(), all, ns)));
    return b.build();
  }

  static List<QueryEntitiesRequest> queries(List<QueryRequest> qs, String ns) {
    List<QueryEntitiesRequest> out = new ArrayList<>();
    for (QueryRequest q : qs) {
      QueryEntitiesRequest.Builder b = QueryEntitiesRequest.newBuilder();
      q.descriptors()
          .forEach(
              d ->
                  b.addDescriptors(
                      AttrValue.newBuilder().setAttr(d.attr()).setValue(ns + d.value())));
      Interval.Builder i = Interval.newBuilder();
      if (q.windowStart() != Long.MIN_VALUE) {
        i.setStart(q.windowStart());
      }
      if (q.windowEnd() != Long.MAX_VALUE) {
        i.setEnd(q.windowEnd());
      }
      b.setWindow(i).setReturnAll(q.returnAll());
      if (q.entityType() != null) {
        b.setEntityType(ns + q.entityType());
      }
      out.add(b.build());
    }
    return out;
  }

  /** Every read of the namespace as text, entity ids replaced by anchors. */
  static String snapshot(
      TemporaServiceBlockingStub stub,
      String ns,
      List<String> types,
      List<QueryEntitiesRequest> queries) {
    Map<Long, String> anchors = new HashMap<>();
    long after = 0;
    do {
      ListEntitiesResponse page =
          stub.listEntities(
              ListEntitiesRequest.newBuilder().setAfterId(after).setPageSize(1000).build());
      for (EntitySummary e : page.getEntitiesList()) {
        if (e.getMembers(0).getEntityType().startsWith(ns)) {
          anchors.put(e.getEntityId(), TextFormat.printer().shortDebugString(e.getMembers(0)));
        }
      }
      after = page.getNextAfterId();
    } while (after != 0);
    StringBuilder out = new StringBuilder();
    Set<Identity> live = new LinkedHashSet<>();
    anchors.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(
            e -> {
              GetEntityResponse entity =
                  stub.getEntity(GetEntityRequest.newBuilder().setEntityId(e.getKey()).build());
              entity.getMembersList().forEach(m -> live.add(m.getIdentity()));
              out.append("entity ").append(canon(entity, anchors)).append('\n');
            });
    for (Identity id : live) {
      GetRecordResponse r = stub.getRecord(GetRecordRequest.newBuilder().setIdentity(id).build());
      GetRecordResponse reduced =
          GetRecordResponse.newBuilder()
              .setStatus(r.getStatus())
              .addAllDescriptors(r.getDescriptorsList())
              .setEntityId(r.getEntityId())
              .build();
      out.append("record ").append(canon(reduced, anchors)).append('\n');
    }
    for (String type : types) {
      String token = "";
      do {
        ListConflictsResponse page =
            stub.listConflicts(
                ListConflictsRequest.newBuilder()
                    .setFilter(ConflictFilter.newBuilder().setEntityType(type))
                    .setPageSize(3)
                    .setPageToken(token)
                    .build());
        page.getItemsList().forEach(c -> out.append("conflict ").append(canon(c, anchors)));
        token = page.getNextPageToken();
      } while (!token.isEmpty());
    }
    for (QueryEntitiesRequest q : queries) {
      out.append("query ")
          .append(TextFormat.printer().shortDebugString(q))
          .append(" → ")
          .append(canon(stub.queryEntities(q), anchors))
          .append('\n');
    }
    return out.toString();
  }

  private static String canon(Message m, Map<Long, String> anchors) {
    String text = DROPPED.matcher(TextFormat.printer().printToString(m)).replaceAll("");
    Matcher x = ID.matcher(text);
    StringBuilder b = new StringBuilder();
    while (x.find()) {
      String anchor = anchors.getOrDefault(Long.parseUnsignedLong(x.group(2)), "?" + x.group(2));
      x.appendReplacement(b, Matcher.quoteReplacement(x.group(1) + ": <" + anchor + ">"));
    }
    x.appendTail(b);
    return b.toString();
  }
}
