package io.tempora.engine.examples;

import static io.tempora.engine.examples.Fixtures.d;
import static io.tempora.engine.examples.Fixtures.engine;
import static io.tempora.engine.examples.Fixtures.ontology;
import static io.tempora.engine.examples.Fixtures.rec;
import static io.tempora.engine.examples.Fixtures.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Ids;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.temporal.Interval;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine#renameEntity}: an entity a reconciliation move created here takes back the id it
 * had on its former shard (docs/decisions.md D3).
 */
class EntityRenameTest {
  private static final long S = 86400;
  private static final long E = 432000;

  /** An id shard 3 created: never allocated by the test engine (shard 0). */
  private static final long FORMER = Ids.of(3, 41);

  private Engine e;
  private final RecordInput a1 = rec("crm", "a1", d("email", "a@x", S, E), d("ssn", "1", S, E));
  private final RecordInput a2 = rec("erp", "a2", d("email", "a@x", S, E));
  private final RecordInput b1 = rec("crm", "b1", d("email", "b@x", S, E), d("ssn", "1", S, E));

  @BeforeEach
  void start() {
    e = engine();
    e.setOntology(
        ontology().key("email", "email").constraint(unique("ssn-unique", "ssn")).build(), null);
    e.upsert(List.of(a1, a2, b1));
  }

  private long entityOf(RecordInput r) {
    return e.reader().getRecord(r.identity()).entityId();
  }

  @Test
  void renameEntity_activeToUnknownId_membersTakeItAndTheOldIdIsAnAlias() {
    long from = entityOf(a1);

    long tx = e.renameEntity(from, FORMER);

    assertThat(tx).isPositive();
    assertThat(entityOf(a1)).isEqualTo(FORMER);
    assertThat(entityOf(a2)).isEqualTo(FORMER);
    EntityInfo old = e.reader().getEntity(from, Interval.ALL);
    assertThat(old.status()).isEqualTo(EntityRow.Status.MERGED);
    assertThat(old.resolved()).isEqualTo(FORMER);
    assertThat(old.resolvedStatus()).isEqualTo(EntityRow.Status.ACTIVE);
    assertThat(e.reader().getEntity(FORMER, Interval.ALL).aliases()).containsExactly(from);
    assertThat(e.reader().events(tx, 10))
        .containsExactly(new EntityEvent(tx, EntityEvent.Kind.MERGED, FORMER, List.of(from)));
  }

  @Test
  void renameEntity_conflictItems_nameTheNewId() {
    long from = entityOf(a1);
    long other = entityOf(b1);

    e.renameEntity(from, FORMER);

    assertThat(e.reader().getEntity(other, Interval.ALL).conflicts())
        .flatExtracting(ConflictItem::entityIds)
        .contains(FORMER)
        .doesNotContain(from);
    assertThat(e.reader().getEntity(FORMER, Interval.ALL).conflicts())
        .flatExtracting(ConflictItem::entityIds)
        .contains(FORMER, other);
  }

  @Test
  void renameEntity_idAlreadyKnownHere_changesNothing() {
    long from = entityOf(a1);
    long other = entityOf(b1);

    assertThat(e.renameEntity(from, other)).isZero();

    assertThat(entityOf(a1)).isEqualTo(from);
    assertThat(entityOf(b1)).isEqualTo(other);
  }

  @Test
  void renameEntity_sentTwice_secondChangesNothing() {
    long from = entityOf(a1);
    e.renameEntity(from, FORMER);
    long last = e.reader().lastTx();

    assertThat(e.renameEntity(from, FORMER)).isZero();

    assertThat(e.reader().lastTx()).isEqualTo(last);
    assertThat(entityOf(a1)).isEqualTo(FORMER);
  }

  @Test
  void renameEntity_sameIds_isRefused() {
    long from = entityOf(a1);

    assertThatThrownBy(() -> e.renameEntity(from, from))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("two different non-zero ids");
  }

  @Test
  void renameEntities_twoEntities_oneTransactionEventsInIdOrder() {
    long a = entityOf(a1);
    long b = entityOf(b1);
    long other = Ids.of(2, 7);

    Engine.Renamed r = e.renameEntities(Map.of(a, FORMER, b, other));

    assertThat(r.renamed()).containsExactlyInAnyOrder(a, b);
    assertThat(entityOf(a2)).isEqualTo(FORMER);
    assertThat(entityOf(b1)).isEqualTo(other);
    assertThat(e.reader().events(r.tx(), 10))
        .containsExactly(
            new EntityEvent(r.tx(), EntityEvent.Kind.MERGED, other, List.of(b)),
            new EntityEvent(r.tx(), EntityEvent.Kind.MERGED, FORMER, List.of(a)));
  }

  @Test
  void renameEntities_oneInapplicable_renamesTheOthers() {
    long a = entityOf(a1);
    long b = entityOf(b1);

    Engine.Renamed r = e.renameEntities(Map.of(a, FORMER, Ids.of(0, 999), Ids.of(2, 7)));

    assertThat(r.renamed()).containsExactly(a);
    assertThat(entityOf(b1)).isEqualTo(b);
  }

  @Test
  void renameEntities_oneTargetNamedTwice_isRefusedWhole() {
    long a = entityOf(a1);
    long b = entityOf(b1);

    assertThatThrownBy(() -> e.renameEntities(Map.of(a, FORMER, b, FORMER)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("each target named once");
    assertThat(entityOf(a1)).isEqualTo(a);
  }
}
