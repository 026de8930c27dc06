package io.tempora.engine.ontology;

import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Computes the key tuples of a record and their interval sets (DOMAIN.md §4). */
public final class KeyTuples {
  private KeyTuples() {}

  /**
   * Every key tuple of a record of {@code type} under the ontology, with {@code I_r(K, t)}; tuples
   * whose coverages do not intersect are absent.
   */
  public static SortedMap<TupleKey, IntervalSet> of(
      Ontology ontology, String type, Descriptors descriptors) {
    SortedMap<TupleKey, IntervalSet> out = new TreeMap<>();
    for (IdentityKey key : ontology.keysFor(type)) {
      List<List<Map.Entry<String, IntervalSet>>> choices = new ArrayList<>();
      for (String attr : key.attributes()) {
        List<Map.Entry<String, IntervalSet>> vals = new ArrayList<>();
        for (Map.Entry<AttrValue, IntervalSet> e : descriptors.valuesOf(attr).entrySet()) {
          if (!ontology.isIgnored(type, attr, e.getKey().value())) {
            vals.add(Map.entry(e.getKey().value(), e.getValue()));
          }
        }
        if (vals.isEmpty()) {
          choices = null;
          break;
        }
        choices.add(vals);
      }
      if (choices != null) {
        expand(type, key.name(), choices, 0, new ArrayList<>(), null, out);
      }
    }
    return out;
  }

  private static void expand(
      String type,
      String keyName,
      List<List<Map.Entry<String, IntervalSet>>> choices,
      int depth,
      List<String> values,
      IntervalSet acc,
      SortedMap<TupleKey, IntervalSet> out) {
    if (depth == choices.size()) {
      out.put(new TupleKey(type, keyName, values), acc);
      return;
    }
    for (Map.Entry<String, IntervalSet> choice : choices.get(depth)) {
      IntervalSet next = acc == null ? choice.getValue() : acc.intersect(choice.getValue());
      if (next.isEmpty()) {
        continue;
      }
      values.add(choice.getKey());
      expand(type, keyName, choices, depth + 1, values, next, out);
      values.remove(values.size() - 1);
    }
  }
}
