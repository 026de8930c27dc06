package io.tempora.engine.oracle;

import io.tempora.engine.model.AttrValue;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.query.QueryResult.ConflictEntity;
import io.tempora.engine.query.QueryResult.ConflictInterval;
import io.tempora.engine.query.QueryResult.DescriptorHolders;
import io.tempora.engine.query.QueryResult.Match;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** DOMAIN.md §9: match sets per entity, the conflict rule and {@code return_all}. */
final class OracleQuery {
  private static final Comparator<Match> MATCH_ORDER =
      Comparator.comparing(Match::interval, Spans.ORDER).thenComparingLong(Match::entityId);

  private OracleQuery() {}

  static QueryResult answer(OracleState s, QueryRequest q) {
    Map<Long, List<Interval>> matchSets = matchSets(s, q);
    List<ConflictInterval> conflict = new ArrayList<>();
    for (Timeline.Segment<Long> seg : Timeline.segments(matchSets)) {
      if (seg.labels().size() >= 2) {
        conflict.add(conflictInterval(s, q, seg));
      }
    }
    if (!conflict.isEmpty() && !q.returnAll()) {
      return new QueryResult(0, null, conflict);
    }
    List<Match> matches = new ArrayList<>();
    matchSets.forEach((e, set) -> set.forEach(p -> matches.add(new Match(e, p, s.golden(e, p)))));
    matches.sort(MATCH_ORDER);
    return new QueryResult(0, matches, null);
  }

  /** {@code M(X) = W ∩ cov(X,d1) ∩ … ∩ cov(X,dk)} for every entity with a non-empty one. */
  static Map<Long, List<Interval>> matchSets(OracleState s, QueryRequest q) {
    Interval window = new Interval(q.windowStart(), q.windowEnd());
    Map<Long, List<Interval>> out = new TreeMap<>();
    for (long e = 1; e <= s.entityCount(); e++) {
      List<OracleRecord> members = s.members(e);
      if (q.entityType() != null && !members.get(0).type().equals(q.entityType())) {
        continue;
      }
      List<Interval> m = List.of(window);
      for (AttrValue d : q.descriptors()) {
        List<Interval> cov =
            OracleState.valueCoverage(members, d.attr()).getOrDefault(d.value(), List.of());
        m = Spans.intersect(m, cov);
      }
      if (!m.isEmpty()) {
        out.put(e, m);
      }
    }
    return out;
  }

  private static ConflictInterval conflictInterval(
      OracleState s, QueryRequest q, Timeline.Segment<Long> seg) {
    List<ConflictEntity> entities = new ArrayList<>();
    for (long e : new TreeSet<>(seg.labels())) {
      List<DescriptorHolders> perDescriptor = new ArrayList<>();
      for (AttrValue d : q.descriptors()) {
        perDescriptor.add(
            new DescriptorHolders(
                d.attr(),
                d.value(),
                OracleConflicts.holders(s.members(e), null, d.attr(), d.value(), seg.interval())));
      }
      entities.add(new ConflictEntity(e, perDescriptor));
    }
    return new ConflictInterval(seg.interval(), entities);
  }
}
