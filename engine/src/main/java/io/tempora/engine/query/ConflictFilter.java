package io.tempora.engine.query;

import io.tempora.engine.conflict.ConflictItem.Kind;
import java.util.Set;

/**
 * ListConflicts filters (DOMAIN.md §7.4), all optional (null = absent) and AND-ed.
 *
 * @param windowStart window start, or null (with {@code windowEnd} null: no window filter)
 * @param windowEnd window end, or null
 * @param attribute exact attribute
 * @param kinds set of kinds (empty or null = all)
 * @param entityType exact entity type
 * @param entityId items naming this entity after alias resolution
 */
public record ConflictFilter(
    Long windowStart,
    Long windowEnd,
    String attribute,
    Set<Kind> kinds,
    String entityType,
    Long entityId) {
  /** No filter. */
  public static final ConflictFilter NONE = new ConflictFilter(null, null, null, null, null, null);

  public ConflictFilter {
    kinds = kinds == null ? Set.of() : Set.copyOf(kinds);
  }

  /** True iff a window filter is present. */
  public boolean hasWindow() {
    return windowStart != null || windowEnd != null;
  }
}
