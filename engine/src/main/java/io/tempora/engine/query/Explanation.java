package io.tempora.engine.query;

import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.link.LinkIndex.LinkStep;
import io.tempora.engine.model.Identity;
import java.util.List;

/**
 * The answer to Explain (DOMAIN.md §10).
 *
 * @param outcome the verdict
 * @param path records from A to B (empty unless SAME_ENTITY or BLOCKED with A ≠ B)
 * @param steps {@code steps[k]} links {@code path[k]} and {@code path[k+1]}
 * @param blocked for BLOCKED, the BLOCKED_MERGE items crossed, in path order without repeats
 * @param ontologyVersion the ontology version used
 */
public record Explanation(
    Outcome outcome,
    List<Identity> path,
    List<LinkStep> steps,
    List<BlockedMerge> blocked,
    int ontologyVersion) {
  /** Explain verdicts. */
  public enum Outcome {
    SAME_ENTITY,
    DIFFERENT_ENTITY_TYPE,
    NO_LINK_PATH,
    BLOCKED
  }

  public Explanation {
    path = List.copyOf(path);
    steps = List.copyOf(steps);
    blocked = List.copyOf(blocked);
  }
}
