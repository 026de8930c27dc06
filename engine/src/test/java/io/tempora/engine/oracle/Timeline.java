package io.tempora.engine.oracle;

import io.tempora.engine.temporal.Interval;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Elementary-interval cutting: cut time at every boundary of every coverage, compute per slice the
 * set of labels covering it, merge neighbouring slices with equal sets. This one routine serves
 * §7.1 (labels = values), §7.3 (labels = entities), §8 and §9's conflict rule.
 */
final class Timeline {
  /** A maximal interval on which the label set is constant and non-empty. */
  record Segment<L>(Interval interval, Set<L> labels) {}

  private Timeline() {}

  /** The maximal constant non-empty segments, ordered by start. Coverages must be normalised. */
  static <L> List<Segment<L>> segments(Map<L, List<Interval>> coverage) {
    TreeSet<Long> cuts = new TreeSet<>();
    for (List<Interval> set : coverage.values()) {
      for (Interval p : set) {
        cuts.add(p.start());
        cuts.add(p.end());
      }
    }
    List<Long> b = new ArrayList<>(cuts);
    List<Segment<L>> out = new ArrayList<>();
    Segment<L> open = null;
    for (int k = 0; k + 1 < b.size(); k++) {
      Interval slice = new Interval(b.get(k), b.get(k + 1));
      Set<L> here = labelsCovering(coverage, slice);
      if (open != null && open.labels().equals(here)) {
        // consecutive slices are contiguous, so equal sets merge into one interval
        open = new Segment<>(new Interval(open.interval().start(), slice.end()), here);
      } else {
        addIfNonEmpty(out, open);
        open = new Segment<>(slice, here);
      }
    }
    addIfNonEmpty(out, open);
    return out;
  }

  private static <L> Set<L> labelsCovering(Map<L, List<Interval>> coverage, Interval slice) {
    Set<L> here = new HashSet<>();
    for (Map.Entry<L, List<Interval>> e : coverage.entrySet()) {
      if (Spans.covers(e.getValue(), slice)) {
        here.add(e.getKey());
      }
    }
    return here;
  }

  private static <L> void addIfNonEmpty(List<Segment<L>> out, Segment<L> s) {
    if (s != null && !s.labels().isEmpty()) {
      out.add(s);
    }
  }
}
