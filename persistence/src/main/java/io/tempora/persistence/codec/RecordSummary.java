package io.tempora.persistence.codec;

import io.tempora.engine.temporal.Interval;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the record indexes need of one stored record version, read without the interner: whether it
 * is a tombstone, its interned entity-type and perspective ids, and the distinct intervals of its
 * descriptor pieces (STORAGE.md §3, §3.3). Immutable.
 *
 * @param deleted true for a tombstone (then {@code intervals} is empty)
 * @param typeId interned entity-type id
 * @param perspectiveId interned perspective id
 * @param intervals distinct {@code [start,end)} of the normal-form pieces, ascending
 */
public record RecordSummary(
    boolean deleted, long typeId, long perspectiveId, SortedSet<Interval> intervals) {
  public RecordSummary {
    intervals = Collections.unmodifiableSortedSet(new TreeSet<>(intervals));
  }
}
