package io.tempora.engine;

import io.tempora.engine.model.EntityEvent;
import java.util.List;

/**
 * The answer to SetOntology (DOMAIN.md §3.2).
 *
 * @param version the current version after the call
 * @param tx the transaction the switch consumed, 0 if none
 * @param events the switch's events, in §6.2 order
 */
public record OntologyResult(int version, long tx, List<EntityEvent> events) {
  public OntologyResult {
    events = List.copyOf(events);
  }
}
