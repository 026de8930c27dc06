package io.tempora.engine.temporal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Cuts time at every coverage boundary of a family of interval sets and reports the maximal
 * intervals on which the set of present keys is constant and non-empty (DOMAIN.md §7.1, §7.3, §8,
 * §9). Neighbouring slices with equal key sets merge; a gap separates.
 */
public final class Timeline {
  private Timeline() {}

  /** A maximal interval with its constant, non-empty set of keys (in the given order). */
  public record Segment<K>(Interval interval, List<K> keys) {}

  /** The segments of {@code coverage}, ordered by start. */
  public static <K> List<Segment<K>> segments(
      Map<K, IntervalSet> coverage, Comparator<? super K> order) {
    TreeMap<Long, List<K>> starts = new TreeMap<>();
    TreeMap<Long, List<K>> ends = new TreeMap<>();
    for (Map.Entry<K, IntervalSet> e : coverage.entrySet()) {
      IntervalSet s = e.getValue();
      for (int k = 0; k < s.size(); k++) {
        starts.computeIfAbsent(s.start(k), x -> new ArrayList<>()).add(e.getKey());
        ends.computeIfAbsent(s.end(k), x -> new ArrayList<>()).add(e.getKey());
      }
    }
    TreeSet<Long> cuts = new TreeSet<>(starts.keySet());
    cuts.addAll(ends.keySet());
    List<Segment<K>> out = new ArrayList<>();
    TreeSet<K> present = new TreeSet<>(order);
    Long prev = null;
    List<K> current = List.of();
    long segStart = 0;
    for (long cut : cuts) {
      if (prev != null) {
        List<K> now = List.copyOf(present);
        if (!now.equals(current)) {
          if (!current.isEmpty()) {
            out.add(new Segment<>(new Interval(segStart, prev), current));
          }
          current = now;
          segStart = prev;
        }
      }
      // Pieces of one key never touch (sets are normalised), so removing then adding is exact.
      for (K k : ends.getOrDefault(cut, List.of())) {
        present.remove(k);
      }
      for (K k : starts.getOrDefault(cut, List.of())) {
        present.add(k);
      }
      prev = cut;
    }
    if (!current.isEmpty()) {
      out.add(new Segment<>(new Interval(segStart, prev), current));
    }
    return out;
  }
}
