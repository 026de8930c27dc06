package io.tempora.engine.query;

import io.tempora.engine.model.AttrValue;
import java.util.List;

/**
 * A query (DOMAIN.md §9): descriptors AND-ed over a window {@code [windowStart, windowEnd)}
 * (omitted sides are {@link Long#MIN_VALUE}/{@link Long#MAX_VALUE}), optional entity type (null =
 * any) and the {@code return_all} flag.
 */
public record QueryRequest(
    List<AttrValue> descriptors,
    long windowStart,
    long windowEnd,
    String entityType,
    boolean returnAll) {
  public QueryRequest {
    descriptors = List.copyOf(descriptors);
  }
}
