package io.tempora.engine;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.EntityRow.Status;
import io.tempora.engine.model.Identity;
import java.util.List;

/**
 * GetEntity's answer (DOMAIN.md §10, §13.4). When the resolved entity is DELETED only the ids,
 * statuses and {@code deletedTx} are set and the lists are empty.
 *
 * @param requested the id asked for
 * @param resolved the id at the end of its alias chain
 * @param status ACTIVE, MERGED (requested is an alias) or DELETED
 * @param resolvedStatus status of the resolved id (ACTIVE or DELETED)
 * @param deletedTx the deleting transaction when the resolved entity is deleted, else 0
 * @param entityType the entity type
 * @param members members in canonical order
 * @param golden golden record over the window
 * @param conflicts conflict items naming the entity, §7.4 order
 * @param aliases ids resolving to it, ascending
 * @param ontologyVersion the ontology version used
 */
public record EntityInfo(
    long requested,
    long resolved,
    Status status,
    Status resolvedStatus,
    long deletedTx,
    String entityType,
    List<Member> members,
    List<Descriptor> golden,
    List<ConflictItem> conflicts,
    List<Long> aliases,
    int ontologyVersion) {

  /** A member record. */
  public record Member(Identity identity, long recordId, int version) {}
}
