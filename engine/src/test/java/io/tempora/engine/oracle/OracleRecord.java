package io.tempora.engine.oracle;

import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A live record with its coverage per {@code (attr, value)} (DOMAIN.md §1.5, §2.3): the union of
 * the record's intervals of that value, touching or overlapping intervals merged.
 */
record OracleRecord(Identity identity, Map<AttrValue, List<Interval>> coverage) {

  OracleRecord {
    coverage = Map.copyOf(coverage);
  }

  /** Normalises a raw input record. */
  static OracleRecord of(RecordInput in) {
    Map<AttrValue, List<Interval>> raw = new HashMap<>();
    for (Descriptor d : in.descriptors()) {
      raw.computeIfAbsent(new AttrValue(d.attr(), d.value()), k -> new ArrayList<>())
          .add(new Interval(d.start(), d.end()));
    }
    Map<AttrValue, List<Interval>> cov = new HashMap<>();
    raw.forEach((k, v) -> cov.put(k, Spans.normalize(v)));
    return new OracleRecord(in.identity(), cov);
  }

  String type() {
    return identity.entityType();
  }

  String perspective() {
    return identity.perspective();
  }

  /** {@code cov(r, attr, value)}; empty if the record never holds it. */
  List<Interval> cov(String attr, String value) {
    return coverage.getOrDefault(new AttrValue(attr, value), List.of());
  }

  /** The attributes the record has, in byte order. */
  List<String> attrs() {
    TreeSet<String> out = new TreeSet<>(Utf8Order.STRINGS);
    coverage.keySet().forEach(av -> out.add(av.attr()));
    return List.copyOf(out);
  }

  /** The values of one attribute, in byte order. */
  List<String> values(String attr) {
    TreeSet<String> out = new TreeSet<>(Utf8Order.STRINGS);
    for (AttrValue av : coverage.keySet()) {
      if (av.attr().equals(attr)) {
        out.add(av.value());
      }
    }
    return List.copyOf(out);
  }

  /** The normal form of §2.3: per attr, value (byte order), the coverage pieces by start. */
  List<Descriptor> normalForm() {
    List<Descriptor> out = new ArrayList<>();
    for (String a : attrs()) {
      for (String v : values(a)) {
        for (Interval p : cov(a, v)) {
          out.add(new Descriptor(a, v, p.start(), p.end()));
        }
      }
    }
    return out;
  }
}
