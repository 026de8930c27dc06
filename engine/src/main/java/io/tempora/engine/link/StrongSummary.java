package io.tempora.engine.link;

import io.tempora.engine.model.AttrValue;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.temporal.IntervalSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Per perspective and strong attribute, the coverage of each non-ignored value over a group of
 * records known to be free of strong conflicts (DOMAIN.md §5.1). Two such groups conflict iff some
 * value of one overlaps a different value of the other under the same perspective and attribute:
 * the holders are then necessarily distinct records, which is what the summary must guarantee.
 */
final class StrongSummary {
  private final Map<String, Map<String, Map<String, IntervalSet>>> byPersp = new HashMap<>();

  static StrongSummary of(LiveRecord r, Ontology ontology) {
    StrongSummary s = new StrongSummary();
    String type = r.identity().entityType();
    for (String attr : ontology.strongAttributesFor(type)) {
      for (Map.Entry<AttrValue, IntervalSet> e : r.descriptors().valuesOf(attr).entrySet()) {
        String v = e.getKey().value();
        if (!ontology.isIgnored(type, attr, v)) {
          s.byPersp
              .computeIfAbsent(r.identity().perspective(), k -> new HashMap<>())
              .computeIfAbsent(attr, k -> new HashMap<>())
              .merge(v, e.getValue(), IntervalSet::union);
        }
      }
    }
    return s;
  }

  /** True iff the union of the two groups has a strong conflict. */
  boolean conflictsWith(StrongSummary o) {
    for (Map.Entry<String, Map<String, Map<String, IntervalSet>>> p : byPersp.entrySet()) {
      Map<String, Map<String, IntervalSet>> other = o.byPersp.get(p.getKey());
      if (other == null) {
        continue;
      }
      for (Map.Entry<String, Map<String, IntervalSet>> a : p.getValue().entrySet()) {
        Map<String, IntervalSet> ov = other.get(a.getKey());
        if (ov != null && disagree(a.getValue(), ov)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean disagree(Map<String, IntervalSet> x, Map<String, IntervalSet> y) {
    for (Map.Entry<String, IntervalSet> vx : x.entrySet()) {
      for (Map.Entry<String, IntervalSet> vy : y.entrySet()) {
        if (!vx.getKey().equals(vy.getKey()) && vx.getValue().overlaps(vy.getValue())) {
          return true;
        }
      }
    }
    return false;
  }

  /** Adds the other group's values into this one. */
  void absorb(StrongSummary o) {
    o.byPersp.forEach(
        (p, attrs) ->
            attrs.forEach(
                (a, vals) ->
                    vals.forEach(
                        (v, cov) ->
                            byPersp
                                .computeIfAbsent(p, k -> new HashMap<>())
                                .computeIfAbsent(a, k -> new HashMap<>())
                                .merge(v, cov, IntervalSet::union))));
  }
}
