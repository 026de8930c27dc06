package io.tempora.engine.query;

import io.tempora.engine.conflict.ConflictItem;
import java.util.List;

/**
 * One page of ListConflicts.
 *
 * @param items items in §7.4 order
 * @param nextPageToken opaque token for the next page, or null on the last page
 * @param ontologyVersion the ontology version used
 */
public record ConflictPage(List<ConflictItem> items, String nextPageToken, int ontologyVersion) {
  public ConflictPage {
    items = List.copyOf(items);
  }
}
