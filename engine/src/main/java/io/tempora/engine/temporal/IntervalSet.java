package io.tempora.engine.temporal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * An immutable, normalised set of intervals (DOMAIN.md §1.4): pieces ordered by start, no two
 * overlapping or adjacent. Union therefore coalesces touching intervals (§1.5).
 */
public final class IntervalSet {
  /** The empty set. */
  public static final IntervalSet EMPTY = new IntervalSet(new long[0], new long[0]);

  private final long[] starts;
  private final long[] ends;

  private IntervalSet(long[] starts, long[] ends) {
    this.starts = starts;
    this.ends = ends;
  }

  /** The set holding one interval. */
  public static IntervalSet of(Interval i) {
    return new IntervalSet(new long[] {i.start()}, new long[] {i.end()});
  }

  /** The set holding one interval {@code [s,e)}. */
  public static IntervalSet of(long s, long e) {
    return of(new Interval(s, e));
  }

  /** Normalises any collection of intervals: overlapping or touching ones merge. */
  public static IntervalSet union(Collection<Interval> intervals) {
    if (intervals.isEmpty()) {
      return EMPTY;
    }
    Interval[] sorted = intervals.toArray(new Interval[0]);
    Arrays.sort(sorted);
    long[] s = new long[sorted.length];
    long[] e = new long[sorted.length];
    int n = 0;
    for (Interval i : sorted) {
      if (n > 0 && i.start() <= e[n - 1]) {
        e[n - 1] = Math.max(e[n - 1], i.end());
      } else {
        s[n] = i.start();
        e[n] = i.end();
        n++;
      }
    }
    return new IntervalSet(Arrays.copyOf(s, n), Arrays.copyOf(e, n));
  }

  /** Number of pieces. */
  public int size() {
    return starts.length;
  }

  /** True iff the set has no piece. */
  public boolean isEmpty() {
    return starts.length == 0;
  }

  /** Start of piece {@code k}. */
  public long start(int k) {
    return starts[k];
  }

  /** End of piece {@code k}. */
  public long end(int k) {
    return ends[k];
  }

  /** Piece {@code k}. */
  public Interval piece(int k) {
    return new Interval(starts[k], ends[k]);
  }

  /** The pieces in order. */
  public List<Interval> pieces() {
    List<Interval> out = new ArrayList<>(starts.length);
    for (int k = 0; k < starts.length; k++) {
      out.add(piece(k));
    }
    return out;
  }

  /** First instant, or {@link Long#MAX_VALUE} when empty. */
  public long min() {
    return isEmpty() ? Long.MAX_VALUE : starts[0];
  }

  /** The union of this set and {@code o}. */
  public IntervalSet union(IntervalSet o) {
    if (o.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return o;
    }
    List<Interval> all = new ArrayList<>(pieces());
    all.addAll(o.pieces());
    return union(all);
  }

  /** The union of this set and one interval. */
  public IntervalSet union(Interval i) {
    return union(of(i));
  }

  /** The intersection of this set and {@code o}. */
  public IntervalSet intersect(IntervalSet o) {
    int i = 0;
    int j = 0;
    long[] s = new long[starts.length + o.starts.length];
    long[] e = new long[s.length];
    int n = 0;
    while (i < starts.length && j < o.starts.length) {
      long lo = Math.max(starts[i], o.starts[j]);
      long hi = Math.min(ends[i], o.ends[j]);
      if (lo < hi) {
        s[n] = lo;
        e[n] = hi;
        n++;
      }
      if (ends[i] < o.ends[j]) {
        i++;
      } else {
        j++;
      }
    }
    // Pairwise intersections of two normalised sets are disjoint and non-adjacent except when
    // both inputs touch at the same point, which normalised inputs exclude.
    return n == 0 ? EMPTY : new IntervalSet(Arrays.copyOf(s, n), Arrays.copyOf(e, n));
  }

  /** Clips this set to the window. */
  public IntervalSet clip(Interval window) {
    return intersect(of(window));
  }

  /** True iff the two sets share an instant. */
  public boolean overlaps(IntervalSet o) {
    int i = 0;
    int j = 0;
    while (i < starts.length && j < o.starts.length) {
      if (starts[i] < o.ends[j] && o.starts[j] < ends[i]) {
        return true;
      }
      if (ends[i] < o.ends[j]) {
        i++;
      } else {
        j++;
      }
    }
    return false;
  }

  /** True iff the set overlaps the interval. */
  public boolean overlaps(Interval w) {
    for (int k = 0; k < starts.length; k++) {
      if (starts[k] < w.end() && w.start() < ends[k]) {
        return true;
      }
    }
    return false;
  }

  /** True iff {@code t} lies in the set. */
  public boolean contains(long t) {
    for (int k = 0; k < starts.length; k++) {
      if (starts[k] <= t && t < ends[k]) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IntervalSet x
        && Arrays.equals(starts, x.starts)
        && Arrays.equals(ends, x.ends);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(starts) + Arrays.hashCode(ends);
  }

  @Override
  public String toString() {
    return pieces().toString();
  }
}
