package io.tempora.engine.model;

import io.tempora.engine.temporal.Interval;

/**
 * One descriptor as a client sends it: attribute, value and validity {@code [start,end)}. An
 * omitted side is stored as {@link Long#MIN_VALUE}/{@link Long#MAX_VALUE} (same meaning as sending
 * those values) and flagged, only so that validation messages can print it as {@code -inf}/{@code
 * +inf} (DOMAIN.md §2.2). Not validated here.
 *
 * @param attr attribute
 * @param value value
 * @param start first instant, inclusive
 * @param end end instant, exclusive
 * @param startOmitted true iff the client left the start unset
 * @param endOmitted true iff the client left the end unset
 */
public record Descriptor(
    String attr, String value, long start, long end, boolean startOmitted, boolean endOmitted) {

  /** A descriptor with both sides given (open sides as the sentinel values). */
  public Descriptor(String attr, String value, long start, long end) {
    this(attr, value, start, end, false, false);
  }

  /** A descriptor whose sides may be omitted ({@code null}). */
  public static Descriptor of(String attr, String value, Long start, Long end) {
    return new Descriptor(
        attr,
        value,
        start == null ? Interval.NEG_INF : start,
        end == null ? Interval.POS_INF : end,
        start == null,
        end == null);
  }

  /** A descriptor valid over all time. */
  public static Descriptor always(String attr, String value) {
    return of(attr, value, null, null);
  }

  /** The validity interval; throws if it is empty. */
  public Interval interval() {
    return new Interval(start, end);
  }
}
