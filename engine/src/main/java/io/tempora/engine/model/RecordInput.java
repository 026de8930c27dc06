package io.tempora.engine.model;

import java.util.List;

/**
 * A record as a client sends it in an upsert: identity and raw descriptors (not yet validated or
 * normalised).
 */
public record RecordInput(Identity identity, List<Descriptor> descriptors) {
  public RecordInput {
    descriptors = List.copyOf(descriptors);
  }
}
