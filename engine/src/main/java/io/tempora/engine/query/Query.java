package io.tempora.engine.query;

import io.tempora.engine.conflict.EntityConflicts;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.query.QueryResult.ConflictEntity;
import io.tempora.engine.query.QueryResult.ConflictInterval;
import io.tempora.engine.query.QueryResult.DescriptorHolders;
import io.tempora.engine.query.QueryResult.Match;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.Posting;
import io.tempora.engine.store.StoreView;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import io.tempora.engine.temporal.Timeline;
import io.tempora.engine.temporal.Timeline.Segment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Answers queries (DOMAIN.md §9) from value postings: per entity the intersection of the window and
 * each descriptor's coverage, then the conflict rule. Reads only postings of the queried values and
 * the members of matching entities.
 */
public final class Query {
  private final StoreView view;
  private final Map<Long, List<LiveRecord>> members = new HashMap<>();
  private final Map<Long, Identity> anchors = new HashMap<>();

  public Query(StoreView view) {
    this.view = view;
  }

  /** Validates a request with the messages and order of DOMAIN.md §9 and §13.5. */
  public static void validate(QueryRequest q) {
    if (q.descriptors().isEmpty()) {
      throw new IllegalArgumentException("descriptors must not be empty");
    }
    for (int j = 0; j < q.descriptors().size(); j++) {
      AttrValue d = q.descriptors().get(j);
      if (d.attr() == null || d.attr().isEmpty()) {
        throw new IllegalArgumentException("descriptor " + j + ": attr must not be empty");
      }
      if (d.value() == null || d.value().isEmpty()) {
        throw new IllegalArgumentException("descriptor " + j + ": value must not be empty");
      }
    }
    checkWindow(q.windowStart(), q.windowEnd());
  }

  /** Throws the §9 window message when {@code s >= e}. */
  public static void checkWindow(long s, long e) {
    if (s >= e) {
      throw new IllegalArgumentException(
          "window: start "
              + Interval.format(s, true)
              + " must be less than end "
              + Interval.format(e, false));
    }
  }

  /** Runs a validated query. */
  public QueryResult run(QueryRequest q, int ontologyVersion) {
    Interval window = new Interval(q.windowStart(), q.windowEnd());
    int k = q.descriptors().size();
    // entity -> per descriptor -> holder records with their coverage
    Map<Long, List<Map<Identity, IntervalSet>>> acc = new HashMap<>();
    for (int j = 0; j < k; j++) {
      AttrValue d = q.descriptors().get(j);
      try (Cursor<Posting> ps = view.valuePostings(d.attr(), d.value())) {
        while (ps.hasNext()) {
          Posting p = ps.next();
          if (!p.intervals().overlaps(window)) {
            continue;
          }
          // Later descriptors only narrow the entities of the first: test that before decoding
          // the record, so a common value costs one lookup per holder, not a record decode.
          long eid = view.entityOf(p.recordId());
          if (j > 0 && !acc.containsKey(eid)) {
            continue;
          }
          RecordVersion r = view.record(p.recordId());
          if (q.entityType() != null && !q.entityType().equals(r.identity().entityType())) {
            continue;
          }
          List<Map<Identity, IntervalSet>> per = acc.computeIfAbsent(eid, x -> newPer(k));
          per.get(j).put(r.identity(), p.intervals());
        }
      }
    }
    Map<Long, IntervalSet> matchSets = new HashMap<>();
    acc.forEach(
        (eid, per) -> {
          IntervalSet m = IntervalSet.of(window);
          for (Map<Identity, IntervalSet> holders : per) {
            IntervalSet cov = IntervalSet.EMPTY;
            for (IntervalSet s : holders.values()) {
              cov = cov.union(s);
            }
            m = m.intersect(cov);
          }
          if (!m.isEmpty()) {
            matchSets.put(eid, m);
          }
        });
    Comparator<Long> byAnchor = Comparator.comparing(this::anchor);
    List<Segment<Long>> segments = Timeline.segments(matchSets, byAnchor);
    boolean conflicted = segments.stream().anyMatch(s -> s.keys().size() >= 2);
    if (conflicted && !q.returnAll()) {
      List<ConflictInterval> items = new ArrayList<>();
      for (Segment<Long> s : segments) {
        if (s.keys().size() >= 2) {
          items.add(conflictItem(s, acc, q));
        }
      }
      return new QueryResult(ontologyVersion, null, items);
    }
    List<Match> matches = new ArrayList<>();
    matchSets.forEach(
        (eid, set) -> {
          for (Interval piece : set.pieces()) {
            matches.add(new Match(eid, piece, EntityConflicts.golden(members(eid), piece)));
          }
        });
    matches.sort(
        Comparator.comparing((Match m) -> m.interval()).thenComparing(m -> anchor(m.entityId())));
    return new QueryResult(ontologyVersion, matches, null);
  }

  private static List<Map<Identity, IntervalSet>> newPer(int k) {
    List<Map<Identity, IntervalSet>> per = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      per.add(new TreeMap<>());
    }
    return per;
  }

  private ConflictInterval conflictItem(
      Segment<Long> s, Map<Long, List<Map<Identity, IntervalSet>>> acc, QueryRequest q) {
    List<ConflictEntity> ents = new ArrayList<>();
    for (long eid : s.keys()) {
      List<DescriptorHolders> ds = new ArrayList<>();
      List<Map<Identity, IntervalSet>> per = acc.get(eid);
      for (int j = 0; j < q.descriptors().size(); j++) {
        List<Identity> holders = new ArrayList<>();
        for (Map.Entry<Identity, IntervalSet> h : per.get(j).entrySet()) {
          if (h.getValue().overlaps(s.interval())) {
            holders.add(h.getKey());
          }
        }
        AttrValue d = q.descriptors().get(j);
        ds.add(new DescriptorHolders(d.attr(), d.value(), holders));
      }
      ents.add(new ConflictEntity(eid, ds));
    }
    return new ConflictInterval(s.interval(), ents);
  }

  /** The members of an entity as records (canonical order). */
  public List<LiveRecord> members(long eid) {
    return members.computeIfAbsent(eid, id -> loadMembers(view, id));
  }

  /** Loads an entity's live members in canonical order. */
  public static List<LiveRecord> loadMembers(StoreView view, long eid) {
    List<LiveRecord> out = new ArrayList<>();
    for (long rid : view.members(eid).toList()) {
      RecordVersion v = view.record(rid);
      SortedMap<io.tempora.engine.ontology.TupleKey, IntervalSet> none = new TreeMap<>();
      out.add(new LiveRecord(rid, v.identity(), v.descriptors(), none));
    }
    out.sort(Comparator.comparing(LiveRecord::identity));
    return out;
  }

  private Identity anchor(long eid) {
    return anchors.computeIfAbsent(eid, id -> members(id).get(0).identity());
  }
}
