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
 * @param history every version, ascending
 * @param ontologyVersion the ontology version used
 */
public record RecordInfo(
    long recordId,
    boolean live,
    int version,
    Descriptors descriptors,
    long entityId,
    List<RecordVersion> history,
    int ontologyVersion) {
  public RecordInfo {
    history = List.copyOf(history);
  }
}
