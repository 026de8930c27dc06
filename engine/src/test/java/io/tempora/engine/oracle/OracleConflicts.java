package io.tempora.engine.oracle;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.EntityHolders;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.model.Identity;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.oracle.LinkGraph.Clash;
import io.tempora.engine.oracle.LinkGraph.Link;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Computes every conflict item of DOMAIN.md §7 and sorts them in the §7.4 total order. */
final class OracleConflicts {
  private OracleConflicts() {}

  static List<ConflictItem> compute(OracleState s) {
    List<ConflictItem> out = new ArrayList<>();
    out.addAll(direct(s));
    out.addAll(blocked(s));
    out.addAll(constraints(s));
    out.sort(Comparator.comparing(OracleConflicts::sortKey, SORT_KEY_ORDER));
    return List.copyOf(out);
  }

  // §7.1: per entity and attribute, maximal intervals with a constant value set of size >= 2.
  private static List<ConflictItem> direct(OracleState s) {
    List<ConflictItem> out = new ArrayList<>();
    for (long e = 1; e <= s.entityCount(); e++) {
      List<OracleRecord> members = s.members(e);
      for (String attr : OracleState.attrs(members)) {
        for (Timeline.Segment<String> seg :
            Timeline.segments(OracleState.valueCoverage(members, attr))) {
          if (seg.labels().size() < 2) {
            continue;
          }
          List<ValueHolders> values = new ArrayList<>();
          for (String v : sortedStrings(seg.labels())) {
            values.add(new ValueHolders(v, holders(members, null, attr, v, seg.interval())));
          }
          out.add(new Direct(members.get(0).type(), attr, seg.interval(), e, values));
        }
      }
    }
    return out;
  }

  // §7.2: one item per entity pair with a linkable cross pair, with the minimal evidence.
  private static List<ConflictItem> blocked(OracleState s) {
    LinkGraph g = s.graph();
    List<ConflictItem> out = new ArrayList<>();
    for (long a = 1; a <= s.entityCount(); a++) {
      for (long b = a + 1; b <= s.entityCount(); b++) {
        List<Link> links = new ArrayList<>();
        List<Clash> clashes = new ArrayList<>();
        for (OracleRecord x : s.members(a)) {
          for (OracleRecord y : s.members(b)) {
            links.addAll(g.links(x, y));
            clashes.addAll(g.clashes(x, y));
          }
        }
        if (links.isEmpty()) {
          continue;
        }
        if (clashes.isEmpty()) {
          throw new IllegalStateException(
              "linkable entities " + a + " and " + b + " without strong conflict");
        }
        Link l = links.stream().min(LinkGraph.LINK_ORDER).orElseThrow();
        Clash c = clashes.stream().min(LinkGraph.CLASH_ORDER).orElseThrow();
        out.add(
            new BlockedMerge(
                s.members(a).get(0).type(),
                c.attribute(),
                c.piece(),
                a,
                b,
                List.of(l.x(), l.y()),
                l.key(),
                l.tuple(),
                l.piece(),
                c.perspective(),
                c.valueA(),
                c.valueB(),
                List.of(c.p(), c.q())));
      }
    }
    return out;
  }

  // §7.3: per constraint, type, non-ignored value (and perspective), entity sets of size >= 2.
  private static List<ConflictItem> constraints(OracleState s) {
    Ontology o = s.graph().ontology();
    List<ConflictItem> out = new ArrayList<>();
    for (Constraint c : o.constraints()) {
      for (String type : types(s)) {
        if (!Rules.applies(c.entityTypes(), type)) {
          continue;
        }
        for (String v : constrainedValues(s, o, type, c.attribute())) {
          List<String> perspectives =
              c.kind() == ConstraintKind.UNIQUE
                  ? Arrays.asList((String) null)
                  : perspectives(s, type);
          for (String p : perspectives) {
            out.addAll(violations(s, type, c, v, p));
          }
        }
      }
    }
    return out;
  }

  private static List<ConflictItem> violations(
      OracleState s, String type, Constraint c, String value, String perspective) {
    Map<Long, List<Interval>> coverage = new HashMap<>();
    for (long e = 1; e <= s.entityCount(); e++) {
      List<Interval> cov = List.of();
      for (OracleRecord r : s.members(e)) {
        if (r.type().equals(type) && (perspective == null || r.perspective().equals(perspective))) {
          cov = Spans.union(cov, r.cov(c.attribute(), value));
        }
      }
      if (!cov.isEmpty()) {
        coverage.put(e, cov);
      }
    }
    List<ConflictItem> out = new ArrayList<>();
    for (Timeline.Segment<Long> seg : Timeline.segments(coverage)) {
      if (seg.labels().size() < 2) {
        continue;
      }
      List<EntityHolders> entities = new ArrayList<>();
      for (long e : new TreeSet<>(seg.labels())) {
        entities.add(
            new EntityHolders(
                e, holders(s.members(e), perspective, c.attribute(), value, seg.interval())));
      }
      out.add(
          new ConstraintViolation(
              type,
              c.attribute(),
              seg.interval(),
              c.name(),
              c.kind(),
              value,
              perspective,
              entities));
    }
    return out;
  }

  /** Members (of the perspective, if not null) holding the value at some instant of interval. */
  static List<Identity> holders(
      List<OracleRecord> members, String perspective, String attr, String v, Interval interval) {
    List<Identity> out = new ArrayList<>();
    for (OracleRecord r : members) {
      if ((perspective == null || r.perspective().equals(perspective))
          && Spans.overlaps(r.cov(attr, v), interval)) {
        out.add(r.identity());
      }
    }
    return out;
  }

  private static List<String> types(OracleState s) {
    TreeSet<String> out = new TreeSet<>(Utf8Order.STRINGS);
    s.graph().records().forEach(r -> out.add(r.type()));
    return List.copyOf(out);
  }

  private static List<String> perspectives(OracleState s, String type) {
    TreeSet<String> out = new TreeSet<>(Utf8Order.STRINGS);
    for (OracleRecord r : s.graph().records()) {
      if (r.type().equals(type)) {
        out.add(r.perspective());
      }
    }
    return List.copyOf(out);
  }

  private static List<String> constrainedValues(
      OracleState s, Ontology o, String type, String attr) {
    TreeSet<String> out = new TreeSet<>(Utf8Order.STRINGS);
    for (OracleRecord r : s.graph().records()) {
      if (r.type().equals(type)) {
        out.addAll(Rules.countedValues(o, r, attr));
      }
    }
    return List.copyOf(out);
  }

  private static List<String> sortedStrings(Collection<String> in) {
    TreeSet<String> out = new TreeSet<>(Utf8Order.STRINGS);
    out.addAll(in);
    return List.copyOf(out);
  }

  /** The §7.4 sort key of an item. */
  record SortKey(
      String entityType,
      int kind,
      String attribute,
      long start,
      long end,
      String constraint,
      String perspective,
      List<String> values,
      List<Identity> records) {}

  static final Comparator<SortKey> SORT_KEY_ORDER =
      Comparator.comparing(SortKey::entityType, Utf8Order.STRINGS)
          .thenComparingInt(SortKey::kind)
          .thenComparing(SortKey::attribute, Utf8Order.STRINGS)
          .thenComparingLong(SortKey::start)
          .thenComparingLong(SortKey::end)
          .thenComparing(SortKey::constraint, Utf8Order.STRINGS)
          .thenComparing(SortKey::perspective, Utf8Order.STRINGS)
          .thenComparing(SortKey::values, Utf8Order.STRING_LISTS)
          .thenComparing(SortKey::records, Utf8Order.IDENTITY_LISTS);

  static SortKey sortKey(ConflictItem item) {
    String constraint = "";
    String perspective = "";
    int kind;
    List<String> values;
    TreeSet<Identity> records = new TreeSet<>(Utf8Order.IDENTITIES);
    switch (item) {
      case Direct d -> {
        kind = 0;
        values = d.values().stream().map(ValueHolders::value).toList();
        d.values().forEach(vh -> records.addAll(vh.holders()));
      }
      case BlockedMerge b -> {
        kind = 1;
        perspective = b.perspective();
        values = List.of(b.valueA(), b.valueB());
        records.addAll(b.linkRecords());
        records.addAll(b.conflictRecords());
      }
      case ConstraintViolation c -> {
        kind = 2;
        constraint = c.constraint();
        perspective = c.perspective() == null ? "" : c.perspective();
        values = List.of(c.value());
        c.entities().forEach(eh -> records.addAll(eh.holders()));
      }
    }
    return new SortKey(
        item.entityType(),
        kind,
        item.attribute(),
        item.interval().start(),
        item.interval().end(),
        constraint,
        perspective,
        values,
        List.copyOf(records));
  }
}
