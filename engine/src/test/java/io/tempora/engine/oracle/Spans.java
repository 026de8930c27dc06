package io.tempora.engine.oracle;

import io.tempora.engine.temporal.Interval;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Interval sets (DOMAIN.md §1.4) as plain sorted lists of {@link Interval}: normalised means
 * ordered by start with no two pieces overlapping or touching. Only comparisons, never arithmetic,
 * so the open sides {@code Long.MIN_VALUE}/{@code Long.MAX_VALUE} need no care.
 */
final class Spans {
  static final Comparator<Interval> ORDER =
      Comparator.comparingLong(Interval::start).thenComparingLong(Interval::end);

  private Spans() {}

  /** Union of the given pieces: sorts, then merges pieces that overlap or touch. */
  static List<Interval> normalize(Collection<Interval> pieces) {
    List<Interval> sorted = new ArrayList<>(pieces);
    sorted.sort(ORDER);
    List<Interval> out = new ArrayList<>();
    for (Interval p : sorted) {
      Interval last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && p.start() <= last.end()) {
        out.set(out.size() - 1, new Interval(last.start(), Math.max(last.end(), p.end())));
      } else {
        out.add(p);
      }
    }
    return List.copyOf(out);
  }

  /** Union of two sets. */
  static List<Interval> union(List<Interval> a, List<Interval> b) {
    List<Interval> all = new ArrayList<>(a);
    all.addAll(b);
    return normalize(all);
  }

  /** True iff the two intervals share an instant. */
  static boolean overlaps(Interval a, Interval b) {
    return a.start() < b.end() && b.start() < a.end();
  }

  /** Normalised set of all pairwise intersections. */
  static List<Interval> intersect(List<Interval> a, List<Interval> b) {
    List<Interval> out = new ArrayList<>();
    for (Interval x : a) {
      for (Interval y : b) {
        if (overlaps(x, y)) {
          out.add(new Interval(Math.max(x.start(), y.start()), Math.min(x.end(), y.end())));
        }
      }
    }
    return normalize(out);
  }

  /** True iff the two sets share an instant. */
  static boolean overlaps(List<Interval> a, List<Interval> b) {
    return !intersect(a, b).isEmpty();
  }

  /** True iff the set shares an instant with the interval. */
  static boolean overlaps(List<Interval> a, Interval b) {
    return overlaps(a, List.of(b));
  }

  /** Clips the set to a window. */
  static List<Interval> clip(List<Interval> a, Interval window) {
    return intersect(a, List.of(window));
  }

  /** True iff one piece of the set contains the whole interval. */
  static boolean covers(List<Interval> set, Interval slice) {
    for (Interval p : set) {
      if (p.start() <= slice.start() && slice.end() <= p.end()) {
        return true;
      }
    }
    return false;
  }
}
