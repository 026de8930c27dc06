package io.tempora.engine.store;

import io.tempora.engine.conflict.ConflictItem;

/**
 * A conflict item with its sort key in the global conflict index.
 *
 * @param sortKey the {@link io.tempora.engine.conflict.ConflictOrder} key
 * @param item the item
 */
public record ConflictEntry(byte[] sortKey, ConflictItem item) {}
