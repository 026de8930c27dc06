package io.tempora.engine.temporal;

/**
 * A half-open interval {@code [start, end)} of instants (DOMAIN.md §1). An omitted side is stored
 * as {@link Long#MIN_VALUE} or {@link Long#MAX_VALUE}. Requires {@code start < end}.
 */
public record Interval(long start, long end) implements Comparable<Interval> {
  /** Negative infinity: an omitted start. */
  public static final long NEG_INF = Long.MIN_VALUE;

  /** Positive infinity: an omitted end. */
  public static final long POS_INF = Long.MAX_VALUE;

  /** All of time. */
  public static final Interval ALL = new Interval(NEG_INF, POS_INF);

  public Interval {
    if (start >= end) {
      throw new IllegalArgumentException(
          "start " + format(start, true) + " must be less than end " + format(end, false));
    }
  }

  /** Builds an interval. */
  public static Interval of(long start, long end) {
    return new Interval(start, end);
  }

  /** True iff the two intervals share an instant; adjacency is not overlap. */
  public boolean overlaps(Interval o) {
    return start < o.end && o.start < end;
  }

  /** True iff {@code t} lies in this interval. */
  public boolean contains(long t) {
    return start <= t && t < end;
  }

  @Override
  public int compareTo(Interval o) {
    int c = Long.compare(start, o.start);
    return c != 0 ? c : Long.compare(end, o.end);
  }

  /** Prints an endpoint as given, or {@code -inf}/{@code +inf} for an omitted side. */
  public static String format(long t, boolean isStart) {
    if (isStart && t == NEG_INF) {
      return "-inf";
    }
    if (!isStart && t == POS_INF) {
      return "+inf";
    }
    return Long.toString(t);
  }

  @Override
  public String toString() {
    return "[" + format(start, true) + "," + format(end, false) + ")";
  }
}
