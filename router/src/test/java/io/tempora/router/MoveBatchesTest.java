package io.tempora.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a reconciliation move cuts its records into batches ({@link Reconciler#byEntity}): grouped by
 * the entity they were in on the source, batches end on entity boundaries so that an entity moved
 * whole is ingested in one transaction and can keep its id.
 */
class MoveBatchesTest {
  /** Entity of positions 0..6: 10, 20, 10, 30, 20, 30, 30. */
  private static final List<Long> ENTITY = List.of(10L, 20L, 10L, 30L, 20L, 30L, 30L);

  @Test
  void byEntity_entitiesFitTogether_groupsThemInFirstSeenOrder() {
    assertThat(Reconciler.byEntity(List.of(0, 1, 2, 3, 4, 5, 6), ENTITY, 10))
        .containsExactly(List.of(0, 2, 1, 4, 3, 5, 6));
  }

  @Test
  void byEntity_batchFull_endsBeforeTheNextEntity() {
    assertThat(Reconciler.byEntity(List.of(0, 1, 2, 3, 4, 5, 6), ENTITY, 4))
        .containsExactly(List.of(0, 2, 1, 4), List.of(3, 5, 6));
  }

  @Test
  void byEntity_entityLargerThanABatch_isCutWhereItMust() {
    assertThat(Reconciler.byEntity(List.of(0, 3, 5, 6), ENTITY, 2))
        .containsExactly(List.of(0), List.of(3, 5), List.of(6));
  }
}
