package io.tempora.engine.oracle;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The oracle's answer for one live record set: the partition (§5), conflicts (§7), golden records
 * (§8) and queries (§9). Entities are named by their 1-based position in {@link #partition()}
 * (entity 1 has the smallest anchor). Immutable.
 */
public final class OracleState {
  private final LinkGraph graph;
  private final List<List<OracleRecord>> entities;
  private final Map<Identity, Long> entityOf = new HashMap<>();
  private final List<ConflictItem> conflicts;

  OracleState(LinkGraph graph, List<List<OracleRecord>> entities) {
    this.graph = graph;
    this.entities = List.copyOf(entities);
    for (int i = 0; i < entities.size(); i++) {
      for (OracleRecord r : entities.get(i)) {
        entityOf.put(r.identity(), (long) i + 1);
      }
    }
    this.conflicts = OracleConflicts.compute(this);
  }

  /** The entities ordered by anchor, members in canonical order. */
  public List<List<Identity>> partition() {
    return entities.stream().map(e -> e.stream().map(OracleRecord::identity).toList()).toList();
  }

  /** Every conflict item of §7 in the total order of §7.4. */
  public List<ConflictItem> conflicts() {
    return conflicts;
  }

  /**
   * The golden record of an entity (§8), ordered by attribute then start.
   *
   * @param entityIndex 1-based entity position in {@link #partition()}
   * @param window clip window, or null for all time
   */
  public List<Descriptor> golden(long entityIndex, Interval window) {
    List<OracleRecord> members = members(entityIndex);
    List<Descriptor> out = new ArrayList<>();
    for (String attr : attrs(members)) {
      for (Timeline.Segment<String> s : Timeline.segments(valueCoverage(members, attr))) {
        if (s.labels().size() != 1) {
          continue;
        }
        String value = s.labels().iterator().next();
        List<Interval> kept =
            window == null ? List.of(s.interval()) : Spans.clip(List.of(s.interval()), window);
        for (Interval p : kept) {
          out.add(new Descriptor(attr, value, p.start(), p.end()));
        }
      }
    }
    return out;
  }

  /** The answer to a (valid) query, §9; ontology version 0. */
  public QueryResult query(QueryRequest q) {
    return OracleQuery.answer(this, q);
  }

  /** A live record's descriptors in normal form (§2.3). */
  public List<Descriptor> normalForm(Identity id) {
    return graph.record(id).normalForm();
  }

  /** The 1-based entity index holding a live record. */
  public long entityOf(Identity id) {
    return entityOf.get(id);
  }

  int entityCount() {
    return entities.size();
  }

  List<OracleRecord> members(long entityIndex) {
    return entities.get(Math.toIntExact(entityIndex - 1));
  }

  LinkGraph graph() {
    return graph;
  }

  /** The attributes any member has, byte order. */
  static List<String> attrs(List<OracleRecord> members) {
    TreeSet<String> out = new TreeSet<>(Utf8Order.STRINGS);
    members.forEach(r -> out.addAll(r.attrs()));
    return List.copyOf(out);
  }

  /** Per value of the attribute, the union of the members' coverages (ignored values included). */
  static Map<String, List<Interval>> valueCoverage(List<OracleRecord> members, String attr) {
    Map<String, List<Interval>> out = new TreeMap<>(Utf8Order.STRINGS);
    for (OracleRecord r : members) {
      for (String v : r.values(attr)) {
        out.merge(v, r.cov(attr, v), Spans::union);
      }
    }
    return out;
  }
}
