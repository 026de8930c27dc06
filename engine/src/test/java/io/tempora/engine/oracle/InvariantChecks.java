package io.tempora.engine.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.oracle.LinkGraph.Clash;
import io.tempora.engine.oracle.LinkGraph.Link;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.query.QueryResult.Match;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Assertions for the engine-free invariants 8–12 of DOMAIN.md §12, on one oracle state. */
final class InvariantChecks {
  private InvariantChecks() {}

  /** §12.8: entities cover the live set, have one type, are connected and conflict-free; (P3). */
  static void partitionShape(OracleState s, List<RecordInput> live) {
    LinkGraph g = s.graph();
    List<Identity> flat = new ArrayList<>();
    s.partition().forEach(flat::addAll);
    assertThat(flat).doesNotHaveDuplicates();
    assertThat(new HashSet<>(flat))
        .isEqualTo(new HashSet<>(live.stream().map(RecordInput::identity).toList()));
    for (long e = 1; e <= s.entityCount(); e++) {
      List<OracleRecord> members = s.members(e);
      assertThat(members.stream().map(OracleRecord::type).distinct()).hasSize(1);
      assertThat(isConnected(g, members)).as("entity %d connected", e).isTrue();
      assertThat(g.hasStrongConflict(members)).as("entity %d conflict-free", e).isFalse();
      if (e > 1) {
        assertThat(Utf8Order.IDENTITIES.compare(anchor(s, e - 1), anchor(s, e))).isNegative();
      }
      for (long f = e + 1; f <= s.entityCount(); f++) {
        if (linkable(g, members, s.members(f))) {
          List<OracleRecord> union = new ArrayList<>(members);
          union.addAll(s.members(f));
          assertThat(g.hasStrongConflict(union)).as("(P3) %d %d", e, f).isTrue();
        }
      }
    }
    Set<Set<Identity>> entities = new HashSet<>();
    s.partition().forEach(p -> entities.add(new HashSet<>(p)));
    for (List<OracleRecord> c : g.components()) {
      if (!g.hasStrongConflict(c)) {
        assertThat(entities)
            .contains(new HashSet<>(c.stream().map(OracleRecord::identity).toList()));
      }
    }
  }

  /** §12.9: one BLOCKED_MERGE per entity pair with a linkable cross pair, with true evidence. */
  static void blockedMerges(OracleState s) {
    LinkGraph g = s.graph();
    Set<List<Long>> expected = new HashSet<>();
    for (long a = 1; a <= s.entityCount(); a++) {
      for (long b = a + 1; b <= s.entityCount(); b++) {
        if (linkable(g, s.members(a), s.members(b))) {
          expected.add(List.of(a, b));
        }
      }
    }
    List<List<Long>> actual = new ArrayList<>();
    for (BlockedMerge b : blocked(s)) {
      actual.add(List.of(b.entityA(), b.entityB()));
      OracleRecord x = g.record(b.linkRecords().get(0));
      OracleRecord y = g.record(b.linkRecords().get(1));
      OracleRecord p = g.record(b.conflictRecords().get(0));
      OracleRecord q = g.record(b.conflictRecords().get(1));
      assertThat(List.of(s.entityOf(x.identity()), s.entityOf(p.identity())))
          .containsOnly(b.entityA());
      assertThat(List.of(s.entityOf(y.identity()), s.entityOf(q.identity())))
          .containsOnly(b.entityB());
      assertThat(g.links(x, y))
          .contains(new Link(x.identity(), y.identity(), b.key(), b.tuple(), b.linkInterval()));
      assertThat(g.clashes(p, q))
          .contains(
              new Clash(
                  b.attribute(),
                  b.perspective(),
                  b.valueA(),
                  b.valueB(),
                  b.interval(),
                  p.identity(),
                  q.identity()));
    }
    assertThat(actual).doesNotHaveDuplicates();
    assertThat(new HashSet<>(actual)).isEqualTo(expected);
  }

  /** §12.10: golden entries are sole values, and with direct items partition the coverage. */
  static void golden(OracleState s) {
    for (long e = 1; e <= s.entityCount(); e++) {
      List<OracleRecord> members = s.members(e);
      List<Descriptor> golden = s.golden(e, null);
      for (String attr : OracleState.attrs(members)) {
        Map<String, List<Interval>> cov = OracleState.valueCoverage(members, attr);
        List<Interval> entries = new ArrayList<>();
        for (Descriptor g : golden) {
          if (g.attr().equals(attr)) {
            Interval i = g.interval();
            assertThat(Spans.covers(cov.get(g.value()), i)).isTrue();
            cov.forEach(
                (v, c) -> assertThat(!v.equals(g.value()) && Spans.overlaps(c, i)).isFalse());
            entries.add(i);
          }
        }
        List<Interval> direct = directs(s, e, attr).stream().map(Direct::interval).toList();
        List<Interval> all = new ArrayList<>(entries);
        all.addAll(direct);
        assertPairwiseDisjoint(all);
        List<Interval> union = List.of();
        for (List<Interval> c : cov.values()) {
          union = Spans.union(union, c);
        }
        assertThat(Spans.normalize(all)).isEqualTo(union);
      }
    }
  }

  /** §12.11: per entity and attribute, disjoint items of >= 2 values, neighbours differ, held. */
  static void direct(OracleState s) {
    for (long e = 1; e <= s.entityCount(); e++) {
      List<OracleRecord> members = s.members(e);
      for (String attr : OracleState.attrs(members)) {
        List<Direct> items = directs(s, e, attr);
        assertPairwiseDisjoint(items.stream().map(Direct::interval).toList());
        for (int i = 0; i < items.size(); i++) {
          Direct d = items.get(i);
          assertThat(d.values()).hasSizeGreaterThanOrEqualTo(2);
          for (ValueHolders vh : d.values()) {
            assertThat(vh.holders()).isNotEmpty();
            for (Identity h : vh.holders()) {
              assertThat(holdsSomewhere(s, h, attr, vh, d.interval())).isTrue();
            }
          }
          for (Direct other : items) {
            if (other.interval().start() == d.interval().end()) {
              assertThat(valueSet(other)).isNotEqualTo(valueSet(d));
            }
          }
        }
      }
    }
  }

  /** §12.12: return_all matches lie in the window with clipped golden; conflict iff overlap. */
  static void query(OracleState s, QueryRequest q) {
    Interval window = new Interval(q.windowStart(), q.windowEnd());
    List<Match> all = allMatches(s, q);
    boolean overlap = false;
    for (Match m : all) {
      assertThat(Spans.covers(List.of(window), m.interval())).isTrue();
      assertThat(m.golden()).isEqualTo(s.golden(m.entityId(), m.interval()));
      if (q.entityType() != null) {
        assertThat(s.members(m.entityId()).get(0).type()).isEqualTo(q.entityType());
      }
      for (Match o : all) {
        overlap |= o.entityId() != m.entityId() && Spans.overlaps(o.interval(), m.interval());
      }
    }
    QueryResult plain =
        s.query(
            new QueryRequest(
                q.descriptors(), q.windowStart(), q.windowEnd(), q.entityType(), false));
    if (overlap) {
      assertThat(plain.matches()).isNull();
      assertThat(plain.conflict()).isNotEmpty();
    } else {
      assertThat(plain.conflict()).isNull();
      assertThat(plain.matches()).isEqualTo(all);
    }
  }

  private static Set<String> valueSet(Direct d) {
    Set<String> out = new HashSet<>();
    d.values().forEach(vh -> out.add(vh.value()));
    return out;
  }

  private static void assertPairwiseDisjoint(List<Interval> intervals) {
    for (int i = 0; i < intervals.size(); i++) {
      for (int j = i + 1; j < intervals.size(); j++) {
        assertThat(Spans.overlaps(intervals.get(i), intervals.get(j))).isFalse();
      }
    }
  }

  private static Identity anchor(OracleState s, long e) {
    return s.members(e).get(0).identity();
  }

  private static boolean linkable(LinkGraph g, List<OracleRecord> xs, List<OracleRecord> ys) {
    for (OracleRecord x : xs) {
      for (OracleRecord y : ys) {
        if (g.isLinkable(x, y)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isConnected(LinkGraph g, List<OracleRecord> members) {
    Set<OracleRecord> seen = new HashSet<>(List.of(members.get(0)));
    Deque<OracleRecord> todo = new ArrayDeque<>(seen);
    while (!todo.isEmpty()) {
      OracleRecord r = todo.poll();
      for (OracleRecord m : members) {
        if (g.isLinkable(r, m) && seen.add(m)) {
          todo.add(m);
        }
      }
    }
    return seen.size() == members.size();
  }

  /** Every match of the query with return_all set. */
  private static List<Match> allMatches(OracleState s, QueryRequest q) {
    QueryResult r =
        s.query(
            new QueryRequest(
                q.descriptors(), q.windowStart(), q.windowEnd(), q.entityType(), true));
    return r.matches();
  }

  private static boolean holdsSomewhere(
      OracleState s, Identity id, String attr, ValueHolders vh, Interval i) {
    return Spans.overlaps(s.graph().record(id).cov(attr, vh.value()), i);
  }

  static List<Direct> directs(OracleState s, long entity, String attr) {
    List<Direct> out = new ArrayList<>();
    for (ConflictItem item : s.conflicts()) {
      if (item instanceof Direct d && d.entityId() == entity && d.attribute().equals(attr)) {
        out.add(d);
      }
    }
    return out;
  }

  static List<BlockedMerge> blocked(OracleState s) {
    List<BlockedMerge> out = new ArrayList<>();
    for (ConflictItem item : s.conflicts()) {
      if (item instanceof BlockedMerge b) {
        out.add(b);
      }
    }
    return out;
  }
}
