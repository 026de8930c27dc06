package io.tempora.engine.oracle;

import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.IgnoredValues;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The ontology's reading of one record (DOMAIN.md §3.1, §4): which elements apply, which values are
 * ignored, and the record's key tuples. Uses only the ontology's data, none of its helpers.
 */
final class Rules {
  /** A key tuple {@code (K, v1..vn)}; the key name is part of it (§4). */
  record Tuple(String key, List<String> values) {}

  private Rules() {}

  /** An element applies to a type iff its entity_types is empty or contains the type. */
  static boolean applies(List<String> entityTypes, String type) {
    return entityTypes.isEmpty() || entityTypes.contains(type);
  }

  /** True iff descriptor {@code (attr, value)} of a record of {@code type} is ignored (§3.1). */
  static boolean isIgnored(Ontology o, String type, String attr, String value) {
    for (IgnoredValues iv : o.ignoredValues()) {
      if (iv.attribute().equals(attr)
          && applies(iv.entityTypes(), type)
          && iv.values().contains(value)) {
        return true;
      }
    }
    return false;
  }

  /** The non-ignored values of an attribute in a record, byte order. */
  static List<String> countedValues(Ontology o, OracleRecord r, String attr) {
    List<String> out = new ArrayList<>();
    for (String v : r.values(attr)) {
      if (!isIgnored(o, r.type(), attr, v)) {
        out.add(v);
      }
    }
    return out;
  }

  /** Strong-identifier attributes applying to a type, byte order, without repeats. */
  static List<String> strongAttributes(Ontology o, String type) {
    TreeSet<String> out = new TreeSet<>(Utf8Order.STRINGS);
    for (StrongIdentifier s : o.strongIdentifiers()) {
      if (applies(s.entityTypes(), type)) {
        out.add(s.attribute());
      }
    }
    return List.copyOf(out);
  }

  /** Every key tuple of the record with its interval set {@code I_r(K, t)} (non-empty only). */
  static Map<Tuple, List<Interval>> tuples(Ontology o, OracleRecord r) {
    Map<Tuple, List<Interval>> out = new LinkedHashMap<>();
    for (IdentityKey k : o.identityKeys()) {
      if (applies(k.entityTypes(), r.type())) {
        choose(o, r, k, new ArrayList<>(), List.of(Interval.ALL), out);
      }
    }
    return out;
  }

  // Enumerates V1 x ... x Vn depth-first, intersecting coverages on the way.
  private static void choose(
      Ontology o,
      OracleRecord r,
      IdentityKey k,
      List<String> chosen,
      List<Interval> common,
      Map<Tuple, List<Interval>> out) {
    if (common.isEmpty()) {
      return;
    }
    if (chosen.size() == k.attributes().size()) {
      out.put(new Tuple(k.name(), List.copyOf(chosen)), common);
      return;
    }
    String attr = k.attributes().get(chosen.size());
    for (String v : countedValues(o, r, attr)) {
      chosen.add(v);
      choose(o, r, k, chosen, Spans.intersect(common, r.cov(attr, v)), out);
      chosen.remove(chosen.size() - 1);
    }
  }
}
