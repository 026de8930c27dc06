package io.tempora.engine.examples;

import static io.tempora.engine.examples.Fixtures.d;
import static io.tempora.engine.examples.Fixtures.engine;
import static io.tempora.engine.examples.Fixtures.ontology;
import static io.tempora.engine.examples.Fixtures.rec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.NotFoundException;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.Ids;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.temporal.Interval;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Records a slot move re-creates on a shard ({@link Engine#upsertMoved}) keep the entity id they
 * held on their former shard where this shard can give it (docs/decisions.md D3).
 */
class MovedRecordsTest {
  private static final long S = 86400;
  private static final long E = 432000;

  /** An id shard 3 created: never allocated by the test engine (shard 0). */
  private static final long FORMER = Ids.of(3, 41);

  private Engine e;
  private final RecordInput a1 = rec("crm", "a1", d("email", "a@x", S, E));
  private final RecordInput a2 = rec("erp", "a2", d("email", "a@x", S, E));
  private final RecordInput b1 = rec("crm", "b1", d("email", "b@x", S, E));

  @BeforeEach
  void start() {
    e = engine();
    e.setOntology(ontology().key("email", "email").build(), null);
  }

  private long entityOf(RecordInput r) {
    return e.reader().getRecord(r.identity()).entityId();
  }

  @Test
  void upsertMoved_wholeEntityFree_keepsItsFormerIdAndEmitsCreated() {
    long tx =
        e.upsertMoved(List.of(a1, a2), Map.of(a1.identity(), FORMER, a2.identity(), FORMER)).tx();

    assertThat(entityOf(a1)).isEqualTo(FORMER);
    assertThat(entityOf(a2)).isEqualTo(FORMER);
    EntityInfo info = e.reader().getEntity(FORMER, Interval.ALL);
    assertThat(info.status()).isEqualTo(EntityRow.Status.ACTIVE);
    assertThat(info.members())
        .extracting(EntityInfo.Member::identity)
        .containsExactlyInAnyOrder(a1.identity(), a2.identity());
    assertThat(e.reader().events(tx, 10))
        .containsExactly(new EntityEvent(tx, EntityEvent.Kind.CREATED, FORMER, List.of()));
  }

  @Test
  void upsertMoved_joiningAnExistingEntity_takesTheExistingId() {
    e.upsert(List.of(a1));
    long here = entityOf(a1);

    e.upsertMoved(List.of(a2), Map.of(a2.identity(), FORMER));

    assertThat(entityOf(a2)).isEqualTo(here);
    assertThatThrownBy(() -> e.reader().getEntity(FORMER, Interval.ALL))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void upsertMoved_twoNewEntitiesNamingOneId_onlyTheFirstInAnchorOrderGetsIt() {
    e.upsertMoved(List.of(a1, b1), Map.of(a1.identity(), FORMER, b1.identity(), FORMER));

    assertThat(entityOf(a1)).isEqualTo(FORMER);
    assertThat(entityOf(b1)).isNotEqualTo(FORMER).isEqualTo(Ids.of(0, 1));
  }

  @Test
  void upsertMoved_idAlreadyHeldHere_allocatesAFreshOne() {
    e.upsertMoved(List.of(a1), Map.of(a1.identity(), FORMER));

    e.upsertMoved(List.of(b1), Map.of(b1.identity(), FORMER));

    assertThat(entityOf(a1)).isEqualTo(FORMER);
    assertThat(entityOf(b1)).isEqualTo(Ids.of(0, 1));
  }

  @Test
  void upsertMoved_identityAlreadyLiveHere_isLeftAsItIs() {
    RecordInput newer = rec("crm", "a1", d("email", "c@x", S, E));
    e.upsert(List.of(newer));

    var r = e.upsertMoved(List.of(a1), Map.of(a1.identity(), FORMER));

    assertThat(r.items().getFirst().outcome())
        .isEqualTo(io.tempora.engine.write.WriteResult.Outcome.UNCHANGED);
    assertThat(e.reader().getRecord(a1.identity()).descriptors())
        .isEqualTo(io.tempora.engine.model.Descriptors.of(newer.descriptors()));
  }

  @Test
  void upsertMoved_identityDeletedHere_isRecreated() {
    e.upsert(List.of(a1));
    e.delete(List.of(a1.identity()));

    var r = e.upsertMoved(List.of(a1), Map.of(a1.identity(), FORMER));

    assertThat(r.items().getFirst().outcome())
        .isEqualTo(io.tempora.engine.write.WriteResult.Outcome.CREATED);
    assertThat(e.reader().getRecord(a1.identity()).live()).isTrue();
  }

  @Test
  void upsertMoved_withoutFormerIds_isAnUpsert() {
    e.upsertMoved(List.of(a1), Map.<Identity, Long>of());

    assertThat(entityOf(a1)).isEqualTo(Ids.of(0, 1));
  }
}
