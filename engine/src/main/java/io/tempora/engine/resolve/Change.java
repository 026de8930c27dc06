package io.tempora.engine.resolve;

import io.tempora.engine.model.RecordVersion;

/**
 * One record change of a transaction.
 *
 * @param recordId the record
 * @param before the live version before the transaction, or null if it was absent or deleted
 * @param after the version the transaction writes (a tombstone for a delete)
 */
public record Change(long recordId, RecordVersion before, RecordVersion after) {
  /** True iff the record is live after the change. */
  public boolean isLiveAfter() {
    return !after.isDeleted();
  }
}
