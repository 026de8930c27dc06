package io.tempora.engine;

import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.RecordVersion;
import java.util.List;

/**
 * GetRecord's answer (DOMAIN.md §10).
 *
 * @param recordId record id
 * @param live true for LIVE, false for DELETED
 * @param version current version
 * @param descriptors current normal form, null when deleted
 * @param entityId entity of a live record, else 0
 * @param history every kept version, ascending (every version unless history retention removed
 *     older ones)
 * @param ontologyVersion the ontology version used
 * @param historyKeptFromTx 0 when {@code history} is complete (starts at version 1); otherwise
 *     history retention removed this record's older versions, and this is the store's first
 *     transaction whose superseded versions are all kept (STORAGE.md §8)
 */
public record RecordInfo(
    long recordId,
    boolean live,
    int version,
    Descriptors descriptors,
    long entityId,
    List<RecordVersion> history,
    int ontologyVersion,
    long historyKeptFromTx) {
  public RecordInfo {
    history = List.copyOf(history);
  }

  /** A record whose history is complete. */
  public RecordInfo(
      long recordId,
      boolean live,
      int version,
      Descriptors descriptors,
      long entityId,
      List<RecordVersion> history,
      int ontologyVersion) {
    this(recordId, live, version, descriptors, entityId, history, ontologyVersion, 0);
  }
}
