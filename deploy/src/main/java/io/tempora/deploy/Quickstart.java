package io.tempora.deploy;

import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.temporal.Interval;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.ConflictItem;
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
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code tempora quickstart}: starts a shard on a local data directory, applies the bundled
 * ontology, ingests the bundled sample dataset through gRPC and prints entities, conflicts and a
 * query answer on standard output; notes on the data directory go to standard error. Running it
 * again reuses the directory (ingest is idempotent), so standard output stays the same.
 */
public final class Quickstart {
  /** Entities and conflicts shown in full; the rest are counted. */
  static final int SHOWN = 12;

  private Quickstart() {}

  /** Runs the quick start on {@code dataDir}. */
  public static void run(Path dataDir, PrintStream out, PrintStream err) {
    SampleDataset data = SampleDataset.load();
    try (EmbeddedShard shard = EmbeddedShard.start(dataDir)) {
      err.println(
          shard.isReused()
              ? "quickstart: reusing data directory "
                  + dataDir
                  + " (its records are kept; re-ingesting changes nothing)"
              : "quickstart: created data directory " + dataDir);
      TemporaServiceBlockingStub stub =
          TemporaServiceGrpc.newBlockingStub(shard.channel())
              .withDeadlineAfter(60, TimeUnit.SECONDS);
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
      long perspectives =
          data.records().stream().map(r -> r.identity().perspective()).distinct().count();
      out.printf(
          "Tempora quick start: one shard (RocksDB) on a local data directory, served over gRPC%n"
              + "Sample dataset: %d records from %d perspectives%n%n",
          data.records().size(), perspectives);
      printEntities(out, stub);
      printConflicts(out, stub);
      printQuery(out, stub);
    }
  }

  private static void printEntities(PrintStream out, TemporaServiceBlockingStub stub) {
    List<io.tempora.proto.v1.EntitySummary> all = new ArrayList<>();
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
    out.printf("ENTITIES (%d; the first %d shown)%n", all.size(), Math.min(SHOWN, all.size()));
    for (var e : all.subList(0, Math.min(SHOWN, all.size()))) {
      GetEntityResponse info =
          stub.getEntity(GetEntityRequest.newBuilder().setEntityId(e.getEntityId()).build());
      out.printf(
          "  e%d  %s  members: %s%n",
          e.getEntityId(),
          info.getEntityType(),
          e.getMembersList().stream().map(Quickstart::identity).collect(Collectors.joining(", ")));
      for (io.tempora.proto.v1.Descriptor g : info.getGoldenList()) {
        out.printf("        %s = %s  %s%n", g.getAttr(), g.getValue(), interval(g.getInterval()));
      }
    }
    out.println();
  }

  private static void printConflicts(PrintStream out, TemporaServiceBlockingStub stub) {
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
        "CONFLICTS (%d: %s; the first %d shown)%n",
        all.size(), byKind, Math.min(SHOWN, all.size()));
    for (ConflictItem c : all.subList(0, Math.min(SHOWN, all.size()))) {
      out.printf(
          "  %-13s %-8s %-12s %-26s %s%n",
          kind(c), c.getEntityType(), c.getAttribute(), interval(c.getInterval()), detail(c));
    }
    out.println();
  }

  private static String kind(ConflictItem c) {
    return c.getKind().name().substring("CONFLICT_KIND_".length());
  }

  private static String detail(ConflictItem c) {
    return switch (c.getDetailCase()) {
      case DIRECT ->
          "e"
              + c.getDirect().getEntityId()
              + ": "
              + c.getDirect().getValuesList().stream()
                  .map(v -> v.getValue() + " <- " + identities(v.getHoldersList()))
                  .collect(Collectors.joining("; "));
      case BLOCKED_MERGE -> {
        var b = c.getBlockedMerge();
        yield String.format(
            "e%d / e%d: linked by %s %s, %s disagrees in %s (%s vs %s)",
            b.getEntityA(),
            b.getEntityB(),
            b.getKey(),
            b.getTupleList(),
            c.getAttribute(),
            b.getPerspective(),
            b.getValueA(),
            b.getValueB());
      }
      case CONSTRAINT -> {
        var v = c.getConstraint();
        yield String.format(
            "%s value %s%s: %s",
            v.getConstraint(),
            v.getValue(),
            v.hasPerspective() ? " in " + v.getPerspective() : "",
            v.getEntitiesList().stream()
                .map(e -> "e" + e.getEntityId() + " " + identities(e.getHoldersList()))
                .collect(Collectors.joining(", ")));
      }
      case DETAIL_NOT_SET -> "";
    };
  }

  private static void printQuery(PrintStream out, TemporaServiceBlockingStub stub) {
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
            "  match e%d %s golden: %s%n",
            m.getEntityId(),
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
