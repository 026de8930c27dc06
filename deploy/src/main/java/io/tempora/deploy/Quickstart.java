package io.tempora.deploy;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.deploy.cluster.LocalCluster;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.temporal.Interval;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.ConflictItem;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.Identity;
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
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code tempora quickstart}: starts a local cluster (2 shard processes and a router, as {@code
 * tempora cluster start} does) under the quick-start directory, applies the bundled ontology and
 * ingests the bundled sample dataset through the router, reconciles, and prints entities, conflicts
 * and a query answer on standard output; notes (directories, counts, how to stop) go to standard
 * error. The cluster is stopped at the end unless {@code keepRunning}. Running it again reuses the
 * data directories (ingest is idempotent), so standard output stays the same.
 *
 * <p>Entity ids through a router depend on which shard created an entity, so the output names
 * entities by labels {@code E1, E2, …}: entities ordered by their smallest member identity (entity
 * type, perspective, uid).
 */
public final class Quickstart {
  /** Entities shown in full; the rest are counted. */
  static final int SHOWN = 12;

  /** Conflicts shown per kind (DIRECT, BLOCKED_MERGE, CONSTRAINT). */
  static final int SHOWN_PER_KIND = 6;

  /** Shards of the quick-start cluster. */
  static final int SHARDS = 2;

  private Quickstart() {}

  /**
   * Runs the quick start in {@code dir} with the router on {@code basePort} (shards on basePort+10
   * and +11, their health and HTTP ports +1000 and +2000).
   */
  public static void run(
      Path dir, int basePort, boolean keepRunning, PrintStream out, PrintStream err)
      throws IOException, InterruptedException {
    LocalCluster cluster =
        new LocalCluster(dir, SHARDS, basePort, List.of("--set", "shutdown.drain_delay=0s"));
    PrintWriter notes = new PrintWriter(err, true, StandardCharsets.UTF_8);
    String stopHint = "bin/tempora cluster stop --dir " + dir;
    if (cluster.allReady()) {
      err.println("quickstart: a cluster is already running in " + dir + "; using it");
    } else {
      List<String> running = cluster.runningMembers();
      if (!running.isEmpty()) {
        throw new IllegalStateException(
            "part of a cluster is running in "
                + dir
                + " ("
                + String.join(", ", running)
                + "); stop it with: "
                + stopHint);
      }
      boolean reused = Files.isDirectory(cluster.dataDir(0).resolve("db"));
      err.println(
          reused
              ? "quickstart: reusing the data directories under "
                  + dir
                  + " (their records are kept)"
              : "quickstart: created the data directories under " + dir);
      err.printf(
          "quickstart: starting %d shards (127.0.0.1:%d, :%d) and a router (%s); logs in %s%n",
          SHARDS, basePort + 10, basePort + 11, cluster.routerAddress(), dir.resolve("logs"));
      List<String> late = cluster.start(false);
      if (!late.isEmpty()) {
        cluster.stop(notes);
        throw new IllegalStateException(
            "not ready within 60 s: " + late + "; see the logs in " + dir.resolve("logs"));
      }
    }
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", basePort).usePlaintext().build();
    try {
      demo(channel, out, err);
    } finally {
      channel.shutdownNow();
      if (keepRunning) {
        err.println(
            "quickstart: the cluster keeps running (router "
                + cluster.routerAddress()
                + "); stop it with: "
                + stopHint);
      } else {
        cluster.stop(notes);
      }
    }
  }

  /**
   * Applies the ontology, ingests the dataset, reconciles and prints, against a router's channel.
   */
  static void demo(Channel router, PrintStream out, PrintStream err) {
    SampleDataset data = SampleDataset.load();
    TemporaServiceBlockingStub stub =
        TemporaServiceGrpc.newBlockingStub(router).withDeadlineAfter(60, TimeUnit.SECONDS);
    stub.setOntology(
        SetOntologyRequest.newBuilder().setOntology(ontology(data.ontology())).build());
    IngestRequest.Builder req = IngestRequest.newBuilder();
    data.records().forEach(r -> req.addRecords(record(r)));
    IngestResponse ingested = stub.ingest(req.build());
    long created =
        ingested.getItemsList().stream()
            .filter(i -> i.getOutcome() == Outcome.OUTCOME_CREATED)
            .count();
    err.printf(
        "quickstart: ingested %d records (%d created, %d already stored)%n",
        ingested.getItemsCount(), created, ingested.getItemsCount() - created);
    ReconcileResponse reconciled =
        RouterGrpc.newBlockingStub(router)
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .reconcile(ReconcileRequest.getDefaultInstance());
    err.printf(
        "quickstart: reconciled: %d records, %d cross-shard components, %d records moved%n",
        reconciled.getRecords(), reconciled.getCrossShardComponents(), reconciled.getMoved());
    long perspectives =
        data.records().stream().map(r -> r.identity().perspective()).distinct().count();
    out.printf(
        "Tempora quick start: a router in front of %d shards (RocksDB), served over gRPC%n"
            + "Sample dataset: %d records from %d perspectives%n"
            + "Entities are labelled E1, E2, ... in the order of their smallest member identity%n%n",
        SHARDS, data.records().size(), perspectives);
    Labels labels = printEntities(out, stub);
    printConflicts(out, stub, labels);
    printQuery(out, stub, labels);
  }

  /** Stable names of entities: E1, E2, … by smallest member identity. */
  record Labels(Map<Long, String> byId) {
    String of(long id) {
      return byId.getOrDefault(id, "e" + Long.toUnsignedString(id) + "(unlisted)");
    }
  }

  private static String memberKey(Identity id) {
    return id.getEntityType() + "\u0000" + id.getPerspective() + "\u0000" + id.getUid();
  }

  private static Labels printEntities(PrintStream out, TemporaServiceBlockingStub stub) {
    List<EntitySummary> all = new ArrayList<>();
    long after = 0;
    while (true) {
      ListEntitiesResponse page =
          stub.listEntities(
              ListEntitiesRequest.newBuilder().setAfterId(after).setPageSize(500).build());
      all.addAll(page.getEntitiesList());
      if (page.getNextAfterId() == 0 || page.getEntitiesCount() == 0) {
        break;
      }
      after = page.getNextAfterId();
    }
    all.sort(
        Comparator.comparing(
            (EntitySummary e) ->
                e.getMembersList().stream()
                    .map(Quickstart::memberKey)
                    .min(Comparator.naturalOrder())
                    .orElse("")));
    Map<Long, String> byId = new HashMap<>();
    for (int i = 0; i < all.size(); i++) {
      byId.put(all.get(i).getEntityId(), "E" + (i + 1));
    }
    Labels labels = new Labels(byId);
    out.printf("ENTITIES (%d; the first %d shown)%n", all.size(), Math.min(SHOWN, all.size()));
    for (var e : all.subList(0, Math.min(SHOWN, all.size()))) {
      GetEntityResponse info =
          stub.getEntity(GetEntityRequest.newBuilder().setEntityId(e.getEntityId()).build());
      out.printf(
          "  %s  %s  members: %s%n",
          labels.of(e.getEntityId()),
          info.getEntityType(),
          e.getMembersList().stream()
              .sorted(Comparator.comparing(Quickstart::memberKey))
              .map(Quickstart::identity)
              .collect(Collectors.joining(", ")));
      for (io.tempora.proto.v1.Descriptor g : info.getGoldenList()) {
        out.printf("        %s = %s  %s%n", g.getAttr(), g.getValue(), interval(g.getInterval()));
      }
    }
    out.println();
    return labels;
  }

  private static void printConflicts(
      PrintStream out, TemporaServiceBlockingStub stub, Labels labels) {
    List<ConflictItem> all = new ArrayList<>();
    String token = "";
    do {
      ListConflictsResponse page =
          stub.listConflicts(
              ListConflictsRequest.newBuilder().setPageSize(500).setPageToken(token).build());
      all.addAll(page.getItemsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    Map<String, Long> byKind = new TreeMap<>();
    all.forEach(c -> byKind.merge(kind(c), 1L, Long::sum));
    out.printf(
        "CONFLICTS (%d: %s; the first %d of each kind shown)%n",
        all.size(), byKind, SHOWN_PER_KIND);
    Map<String, Long> shown = new TreeMap<>();
    for (ConflictItem c : all) {
      if (shown.merge(kind(c), 1L, Long::sum) > SHOWN_PER_KIND) {
        continue;
      }
      out.printf(
          "  %-13s %-8s %-12s %-26s %s%n",
          kind(c),
          c.getEntityType(),
          c.getAttribute(),
          interval(c.getInterval()),
          detail(c, labels));
    }
    out.println();
  }

  private static String kind(ConflictItem c) {
    return c.getKind().name().substring("CONFLICT_KIND_".length());
  }

  private static String detail(ConflictItem c, Labels labels) {
    return switch (c.getDetailCase()) {
      case DIRECT ->
          labels.of(c.getDirect().getEntityId())
              + ": "
              + c.getDirect().getValuesList().stream()
                  .map(v -> v.getValue() + " <- " + identities(v.getHoldersList()))
                  .collect(Collectors.joining("; "));
      case BLOCKED_MERGE -> {
        var b = c.getBlockedMerge();
        String a = labels.of(b.getEntityA());
        String bb = labels.of(b.getEntityB());
        // Print the entity with the smaller label first, with its value.
        boolean swap = labelOrder(a) > labelOrder(bb);
        yield String.format(
            "%s / %s: linked by %s %s, %s disagrees in %s (%s vs %s)",
            swap ? bb : a,
            swap ? a : bb,
            b.getKey(),
            b.getTupleList(),
            c.getAttribute(),
            b.getPerspective(),
            swap ? b.getValueB() : b.getValueA(),
            swap ? b.getValueA() : b.getValueB());
      }
      case CONSTRAINT -> {
        var v = c.getConstraint();
        yield String.format(
            "%s value %s%s: %s",
            v.getConstraint(),
            v.getValue(),
            v.hasPerspective() ? " in " + v.getPerspective() : "",
            v.getEntitiesList().stream()
                .sorted(Comparator.comparingLong(e -> labelOrder(labels.of(e.getEntityId()))))
                .map(e -> labels.of(e.getEntityId()) + " " + identities(e.getHoldersList()))
                .collect(Collectors.joining(", ")));
      }
      case DETAIL_NOT_SET -> "";
    };
  }

  private static long labelOrder(String label) {
    return label.startsWith("E") ? Long.parseLong(label.substring(1)) : Long.MAX_VALUE;
  }

  private static void printQuery(PrintStream out, TemporaServiceBlockingStub stub, Labels labels) {
    String email = "ada.adams0@example.com";
    QueryEntitiesResponse r =
        stub.queryEntities(
            QueryEntitiesRequest.newBuilder()
                .addDescriptors(AttrValue.newBuilder().setAttr("email").setValue(email))
                .build());
    out.println("QUERY email=" + email + " over all time");
    if (r.hasMatches()) {
      for (var m : r.getMatches().getMatchesList()) {
        out.printf(
            "  match %s %s golden: %s%n",
            labels.of(m.getEntityId()),
            interval(m.getInterval()),
            m.getGoldenList().stream()
                .map(g -> g.getAttr() + "=" + g.getValue())
                .collect(Collectors.joining(", ")));
      }
    } else {
      out.println("  conflict: " + r.getConflict());
    }
  }

  static io.tempora.proto.v1.Ontology ontology(Ontology o) {
    var b = io.tempora.proto.v1.Ontology.newBuilder();
    o.identityKeys()
        .forEach(
            k ->
                b.addIdentityKeys(
                    io.tempora.proto.v1.IdentityKey.newBuilder()
                        .setName(k.name())
                        .addAllAttributes(k.attributes())
                        .addAllEntityTypes(k.entityTypes())));
    o.strongIdentifiers()
        .forEach(
            s ->
                b.addStrongIdentifiers(
                    io.tempora.proto.v1.StrongIdentifier.newBuilder()
                        .setAttribute(s.attribute())
                        .addAllEntityTypes(s.entityTypes())));
    o.constraints()
        .forEach(
            c ->
                b.addConstraints(
                    io.tempora.proto.v1.Constraint.newBuilder()
                        .setName(c.name())
                        .setAttribute(c.attribute())
                        .setKind(
                            c.kind() == Ontology.ConstraintKind.UNIQUE
                                ? io.tempora.proto.v1.ConstraintKind.CONSTRAINT_KIND_UNIQUE
                                : io.tempora.proto.v1.ConstraintKind
                                    .CONSTRAINT_KIND_UNIQUE_WITHIN_PERSPECTIVE)
                        .addAllEntityTypes(c.entityTypes())));
    o.ignoredValues()
        .forEach(
            iv ->
                b.addIgnoredValues(
                    io.tempora.proto.v1.IgnoredValues.newBuilder()
                        .setAttribute(iv.attribute())
                        .addAllValues(iv.values())
                        .addAllEntityTypes(iv.entityTypes())));
    return b.build();
  }

  static Record record(RecordInput r) {
    Record.Builder b =
        Record.newBuilder()
            .setIdentity(
                Identity.newBuilder()
                    .setEntityType(r.identity().entityType())
                    .setPerspective(r.identity().perspective())
                    .setUid(r.identity().uid()));
    for (Descriptor d : r.descriptors()) {
      var i = io.tempora.proto.v1.Interval.newBuilder();
      if (d.start() != Interval.NEG_INF) {
        i.setStart(d.start());
      }
      if (d.end() != Interval.POS_INF) {
        i.setEnd(d.end());
      }
      b.addDescriptors(
          io.tempora.proto.v1.Descriptor.newBuilder()
              .setAttr(d.attr())
              .setValue(d.value())
              .setInterval(i));
    }
    return b.build();
  }

  private static String identities(List<Identity> ids) {
    return ids.stream().map(Quickstart::identity).collect(Collectors.joining(", "));
  }

  private static String identity(Identity id) {
    return id.getPerspective() + ":" + id.getUid();
  }

  private static String interval(io.tempora.proto.v1.Interval i) {
    long s = i.hasStart() ? i.getStart() : Interval.NEG_INF;
    long e = i.hasEnd() ? i.getEnd() : Interval.POS_INF;
    return "[" + Interval.format(s, true) + ", " + Interval.format(e, false) + ")";
  }
}
