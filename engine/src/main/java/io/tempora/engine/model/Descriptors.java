package io.tempora.engine.model;

import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A descriptor list in DOMAIN.md §2.3 normal form: per {@code (attr, value)} the coverage, ordered
 * by attribute and value in byte order. Immutable; equality is equality of normal forms.
 */
public final class Descriptors {
  private final SortedMap<AttrValue, IntervalSet> coverage;

  private Descriptors(SortedMap<AttrValue, IntervalSet> coverage) {
    this.coverage = Collections.unmodifiableSortedMap(coverage);
  }

  /** Normalises raw descriptors; every interval must be non-empty. */
  public static Descriptors of(Collection<Descriptor> raw) {
    Map<AttrValue, List<Interval>> byValue = new TreeMap<>();
    for (Descriptor d : raw) {
      byValue
          .computeIfAbsent(new AttrValue(d.attr(), d.value()), k -> new ArrayList<>())
          .add(d.interval());
    }
    SortedMap<AttrValue, IntervalSet> cov = new TreeMap<>();
    byValue.forEach((k, v) -> cov.put(k, IntervalSet.union(v)));
    return new Descriptors(cov);
  }

  /** Wraps an already normalised coverage map (as a store reads it back). */
  public static Descriptors ofCoverage(SortedMap<AttrValue, IntervalSet> coverage) {
    return new Descriptors(new TreeMap<>(coverage));
  }

  /** The coverage map: {@code (attr, value)} to its interval set, in normal-form order. */
  public SortedMap<AttrValue, IntervalSet> coverage() {
    return coverage;
  }

  /** {@code cov(r,a,v)}; empty when the record does not hold the value. */
  public IntervalSet cov(String attr, String value) {
    IntervalSet s = coverage.get(new AttrValue(attr, value));
    return s == null ? IntervalSet.EMPTY : s;
  }

  /** The values of one attribute with their coverage, in byte order. */
  public SortedMap<AttrValue, IntervalSet> valuesOf(String attr) {
    return coverage.subMap(new AttrValue(attr, ""), new AttrValue(attr + "\0", ""));
  }

  /** The normal form as a flat list of pieces. */
  public List<Descriptor> pieces() {
    List<Descriptor> out = new ArrayList<>();
    coverage.forEach(
        (av, set) -> {
          for (Interval i : set.pieces()) {
            out.add(new Descriptor(av.attr(), av.value(), i.start(), i.end()));
          }
        });
    return out;
  }

  /** Number of pieces in normal form. */
  public int pieceCount() {
    int n = 0;
    for (IntervalSet s : coverage.values()) {
      n += s.size();
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Descriptors d && coverage.equals(d.coverage);
  }

  @Override
  public int hashCode() {
    return coverage.hashCode();
  }

  @Override
  public String toString() {
    return coverage.toString();
  }
}
