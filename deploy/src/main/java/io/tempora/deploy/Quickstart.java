package io.tempora.deploy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.Reader;
import io.tempora.engine.Reader.EntitySummary;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.engine.query.ConflictPage;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.write.WriteResult;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Entry point of {@code ./bin/quickstart}: applies the bundled ontology, ingests the bundled sample
 * dataset into an engine, and prints the entities with their golden records, the conflicts and one
 * query answer. For now the engine runs in-process on an in-memory store; it becomes a shard and
 * router on a data directory once those exist.
 */
public final class Quickstart {
  private Quickstart() {}

  /**
   * Runs the quick start and prints to standard output.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    run(System.out);
  }

  /** Runs the quick start, printing to {@code out}. */
  public static void run(PrintStream out) {
    SampleDataset data = SampleDataset.load();
    Engine engine = new Engine(new InMemoryStore(), EngineConfig.defaults());
    engine.setOntology(data.ontology(), null);
    WriteResult w = engine.upsert(data.records());
    out.printf(
        "Tempora quick start (engine in-process, in-memory store)%n"
            + "Ingested %d records from the bundled sample dataset in transaction %d.%n%n",
        w.items().size(), w.tx());
    Reader reader = engine.reader();
    printEntities(out, reader);
    printConflicts(out, reader);
    printQuery(out, reader);
  }

  private static void printEntities(PrintStream out, Reader reader) {
    List<EntitySummary> entities = reader.partition();
    out.printf("ENTITIES (%d)%n", entities.size());
    for (EntitySummary e : entities) {
      EntityInfo info = reader.getEntity(e.entityId(), null);
      out.printf(
          "  e%d  %s  members: %s%n",
          e.entityId(),
          info.entityType(),
          e.members().stream().map(Quickstart::identity).collect(Collectors.joining(", ")));
      for (Descriptor g : info.golden()) {
        out.printf("        %s = %s  %s%n", g.attr(), g.value(), interval(g.start(), g.end()));
      }
    }
    out.println();
  }

  private static void printConflicts(PrintStream out, Reader reader) {
    List<ConflictItem> all = new ArrayList<>();
    String token = null;
    do {
      ConflictPage page = reader.listConflicts(ConflictFilter.NONE, 1000, token);
      all.addAll(page.items());
      token = page.nextPageToken();
    } while (token != null);
    out.printf("CONFLICTS (%d)%n", all.size());
    for (ConflictItem c : all) {
      out.printf(
          "  %-13s %-8s %-12s %-26s %s%n",
          c.kind(),
          c.entityType(),
          c.attribute(),
          interval(c.interval().start(), c.interval().end()),
          detail(c));
    }
    out.println();
  }

  private static String detail(ConflictItem c) {
    return switch (c) {
      case Direct d ->
          "e"
              + d.entityId()
              + ": "
              + d.values().stream()
                  .map(v -> v.value() + " <- " + identities(v.holders()))
                  .collect(Collectors.joining("; "));
      case BlockedMerge b ->
          String.format(
              "e%d / e%d: linked by %s %s, %s disagrees in %s (%s vs %s)",
              b.entityA(),
              b.entityB(),
              b.key(),
              b.tuple(),
              b.attribute(),
              b.perspective(),
              b.valueA(),
              b.valueB());
      case ConstraintViolation v ->
          String.format(
              "%s (%s) value %s%s: %s",
              v.constraint(),
              v.constraintKind(),
              v.value(),
              v.perspective() == null ? "" : " in " + v.perspective(),
              v.entities().stream()
                  .map(e -> "e" + e.entityId() + " " + identities(e.holders()))
                  .collect(Collectors.joining(", ")));
    };
  }

  private static void printQuery(PrintStream out, Reader reader) {
    QueryRequest q =
        new QueryRequest(
            List.of(new AttrValue("org", "acme"), new AttrValue("role", "admin")),
            Interval.NEG_INF,
            Interval.POS_INF,
            null,
            false);
    QueryResult r = reader.query(q);
    out.println("QUERY org=acme AND role=admin over all time");
    if (r.matches() != null) {
      for (QueryResult.Match m : r.matches()) {
        out.printf(
            "  match e%d %s golden: %s%n",
            m.entityId(),
            interval(m.interval().start(), m.interval().end()),
            m.golden().stream()
                .map(g -> g.attr() + "=" + g.value())
                .collect(Collectors.joining(", ")));
      }
    } else {
      for (QueryResult.ConflictInterval c : r.conflict()) {
        out.printf(
            "  conflict %s entities %s%n",
            interval(c.interval().start(), c.interval().end()),
            c.entities().stream().map(e -> "e" + e.entityId()).toList());
      }
    }
  }

  private static String identities(List<Identity> ids) {
    return ids.stream().map(Quickstart::identity).collect(Collectors.joining(", "));
  }

  private static String identity(Identity id) {
    return id.perspective() + ":" + id.uid();
  }

  private static String interval(long s, long e) {
    return "[" + Interval.format(s, true) + ", " + Interval.format(e, false) + ")";
  }
}
