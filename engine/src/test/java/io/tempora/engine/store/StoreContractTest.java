package io.tempora.engine.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.EntityHolders;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.conflict.ConflictOrder;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.model.RecordVersion.ChangeKind;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.oracle.Op;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link Store}, run against every implementation: point lookups, cursors,
 * transactions (reads-your-writes, abort, atomic commit), unsigned id order, index maintenance and
 * the conflict range bounds. Subclasses supply fresh stores; views are closed before a transaction
 * begins, as the in-memory store's lock requires.
 */
public abstract class StoreContractTest {
  /** An id with the high bit set: after every small id in unsigned order. */
  protected static final long HIGH = 0x8000_0000_0000_0001L;

  protected static final Identity ALICE = Identity.of("person", "crm", "alice");
  protected static final Identity CLEF = Identity.of("pérson", "𝄞-persp", "uid-😀-\uD800x");

  protected Store store;

  /** A fresh, empty store; the test closes it. */
  protected abstract Store newStore();

  @BeforeEach
  void open() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected void write(Consumer<StoreTxn> body) {
    try (StoreTxn txn = store.begin()) {
      body.accept(txn);
      txn.commit().awaitDurable();
    }
  }

  protected <T> T read(Function<StoreView, T> body) {
    try (StoreView v = store.view()) {
      return body.apply(v);
    }
  }

  protected static RecordVersion version(long rid, Identity id, int v, long tx, String value) {
    Descriptors d =
        Descriptors.of(
            List.of(new Descriptor("name", value, 0, 10), new Descriptor("email", value, 5, 20)));
    ChangeKind kind = v == 1 ? ChangeKind.CREATED : ChangeKind.UPDATED;
    return new RecordVersion(rid, id, v, tx, kind, d);
  }

  protected static Direct direct(long entity, String attr, long start) {
    return new Direct(
        "person",
        attr,
        Interval.of(start, start + 10),
        entity,
        List.of(
            new ValueHolders("a", List.of(ALICE)),
            new ValueHolders("b", List.of(Identity.of("person", "crm", "bob")))));
  }

  @Test
  void meta_emptyStore_isInitialAndOntologyZeroIsEmpty() {
    assertThat(read(StoreView::meta)).isEqualTo(StoreMeta.INITIAL);
    assertThat(read((StoreView v) -> v.ontology(0))).isEqualTo(Ontology.EMPTY);
    assertThat(read((StoreView v) -> v.ontology(1))).isNull();
  }

  @Test
  void putMetaAndOntology_committed_readBack() {
    StoreMeta meta =
        new StoreMeta(
            7,
            3,
            42,
            2,
            new StoreMeta.ResolutionJob(2, StoreMeta.ResolutionJob.State.DONE, 10, 10));
    Ontology o =
        new Ontology(
            List.of(new Ontology.IdentityKey("k", List.of("email", "name"), List.of("person"))),
            List.of(new Ontology.StrongIdentifier("ssn", List.of())),
            List.of(
                new Ontology.Constraint("u", "email", ConstraintKind.UNIQUE, List.of("person"))),
            List.of(new Ontology.IgnoredValues("email", List.of("n/a"), List.of())));
    write(
        t -> {
          t.putMeta(meta);
          t.putOntology(2, o);
        });
    assertThat(read(StoreView::meta)).isEqualTo(meta);
    assertThat(read((StoreView v) -> v.ontology(2))).isEqualTo(o);
  }

  @Test
  void putRecord_twice_currentIsLatestAndHistoryAscending() {
    RecordVersion v1 = version(1, ALICE, 1, 1, "x");
    RecordVersion v2 = version(1, ALICE, 2, 2, "y");
    RecordVersion v3 = new RecordVersion(1, ALICE, 3, 3, ChangeKind.DELETED, null);
    write(
        t -> {
          t.putIdentity(ALICE, 1);
          t.putRecord(v1);
        });
    write(t -> t.putRecord(v2));
    assertThat(read((StoreView v) -> v.record(1))).isEqualTo(v2);
    write(t -> t.putRecord(v3));
    assertThat(read((StoreView v) -> v.record(1))).isEqualTo(v3);
    assertThat(read((StoreView v) -> v.history(1).toList())).containsExactly(v1, v2, v3);
    assertThat(read((StoreView v) -> v.record(2))).isNull();
    assertThat(read((StoreView v) -> v.history(2).toList())).isEmpty();
  }

  @Test
  void putRecord_twiceInOneTransaction_keepsBothVersions() {
    RecordVersion v1 = version(1, ALICE, 1, 1, "x");
    RecordVersion v2 = version(1, ALICE, 2, 2, "y");
    RecordVersion v3 = version(1, ALICE, 3, 2, "z");
    write(t -> t.putRecord(v1));
    write(
        t -> {
          t.putRecord(v2);
          t.putRecord(v3);
          assertThat(t.history(1).toList()).containsExactly(v1, v2, v3);
        });
    assertThat(read((StoreView v) -> v.history(1).toList())).containsExactly(v1, v2, v3);
    assertThat(read(StoreView::historyFromTx)).isEqualTo(1);
  }

  @Test
  void history_manyVersionsOfInterleavedRecords_eachAscendingAndComplete() {
    List<RecordVersion> low = new ArrayList<>();
    List<RecordVersion> high = new ArrayList<>();
    for (int v = 1; v <= 300; v++) {
      RecordVersion a = version(1, ALICE, v, v, "a" + v);
      RecordVersion b = version(HIGH, CLEF, v, v, "b" + v);
      low.add(a);
      high.add(b);
      write(
          t -> {
            t.putRecord(b);
            t.putRecord(a);
          });
    }
    assertThat(read((StoreView v) -> v.history(1).toList())).containsExactlyElementsOf(low);
    assertThat(read((StoreView v) -> v.history(HIGH).toList())).containsExactlyElementsOf(high);
    assertThat(read((StoreView v) -> v.history(2).toList())).isEmpty();
  }

  @Test
  void identityAndRecord_nonBmpAndLoneSurrogateStrings_roundTrip() {
    RecordVersion v = version(HIGH, CLEF, 1, 1, "välue-𝌆");
    write(
        t -> {
          t.putIdentity(CLEF, HIGH);
          t.putRecord(v);
          t.putValuePosting("ättr-𝌆", "välue-𝌆", HIGH, IntervalSet.of(0, 5));
        });
    assertThat(read((StoreView x) -> x.recordId(CLEF))).isEqualTo(OptionalLong.of(HIGH));
    assertThat(read((StoreView x) -> x.recordId(Identity.of("pérson", "𝄞-persp", "uid-😀-?x"))))
        .isEmpty();
    assertThat(read((StoreView x) -> x.recordId(ALICE))).isEmpty();
    assertThat(read((StoreView x) -> x.record(HIGH))).isEqualTo(v);
    assertThat(read((StoreView x) -> x.valuePostings("ättr-𝌆", "välue-𝌆").toList()))
        .containsExactly(new Posting(HIGH, IntervalSet.of(0, 5)));
  }

  @Test
  void postings_putAndDelete_ascendingUnsignedById() {
    TupleKey key = new TupleKey("person", "k", List.of("a", "b"));
    TupleKey other = new TupleKey("person", "k", List.of("a"));
    write(
        t -> {
          t.putPosting(key, HIGH, IntervalSet.of(1, 2));
          t.putPosting(key, 5, IntervalSet.of(3, 4));
          t.putPosting(key, 2, IntervalSet.of(5, 6));
          t.putPosting(other, 9, IntervalSet.of(5, 6));
        });
    write(t -> t.deletePosting(key, 2));
    assertThat(read((StoreView v) -> v.postings(key).toList()))
        .containsExactly(
            new Posting(5, IntervalSet.of(3, 4)), new Posting(HIGH, IntervalSet.of(1, 2)));
    assertThat(read((StoreView v) -> v.postings(other).toList()))
        .containsExactly(new Posting(9, IntervalSet.of(5, 6)));
    assertThat(read((StoreView v) -> v.postings(new TupleKey("person", "k", List.of())).toList()))
        .isEmpty();
  }

  @Test
  void valuePostings_unknownStrings_matchNothing() {
    write(t -> t.putValuePosting("email", "a@x", 3, IntervalSet.of(0, 1)));
    assertThat(read((StoreView v) -> v.valuePostings("email", "b@x").toList())).isEmpty();
    assertThat(read((StoreView v) -> v.valuePostings("phone", "a@x").toList())).isEmpty();
    write(t -> t.deleteValuePosting("email", "never-seen", 3));
    write(t -> t.deleteValuePosting("email", "a@x", 3));
    assertThat(read((StoreView v) -> v.valuePostings("email", "a@x").toList())).isEmpty();
  }

  @Test
  void liveRecords_afterId_unsignedOrderWithoutTombstones() {
    write(
        t -> {
          t.putRecord(version(HIGH, ALICE, 1, 1, "h"));
          t.putRecord(version(2, Identity.of("person", "crm", "b"), 1, 1, "b"));
          t.putRecord(version(3, Identity.of("person", "crm", "c"), 1, 1, "c"));
          t.putRecord(new RecordVersion(4, CLEF, 2, 1, ChangeKind.DELETED, null));
        });
    assertThat(read((StoreView v) -> v.liveRecords(0).toList())).containsExactly(2L, 3L, HIGH);
    assertThat(read((StoreView v) -> v.liveRecords(2).toList())).containsExactly(3L, HIGH);
    assertThat(read((StoreView v) -> v.liveRecords(HIGH).toList())).isEmpty();
    assertThat(read((StoreView v) -> v.liveRecords(-1L).toList())).isEmpty();
  }

  @Test
  void setEntityOf_moveAndClear_maintainsMembers() {
    write(
        t -> {
          t.setEntityOf(1, 10);
          t.setEntityOf(HIGH, 10);
          t.setEntityOf(2, 10);
        });
    assertThat(read((StoreView v) -> v.members(10).toList())).containsExactly(1L, 2L, HIGH);
    write(
        t -> {
          t.setEntityOf(2, 11);
          t.setEntityOf(1, 0);
        });
    assertThat(read((StoreView v) -> v.members(10).toList())).containsExactly(HIGH);
    assertThat(read((StoreView v) -> v.members(11).toList())).containsExactly(2L);
    assertThat(read((StoreView v) -> v.entityOf(1))).isZero();
    assertThat(read((StoreView v) -> v.entityOf(2))).isEqualTo(11);
  }

  @Test
  void putEntity_statusChanges_maintainActiveAndAliases() {
    write(
        t -> {
          t.putEntity(EntityRow.active(1, "person"));
          t.putEntity(EntityRow.active(2, "person"));
          t.putEntity(EntityRow.active(HIGH, "person"));
          t.putEntity(EntityRow.active(3, "person"));
        });
    assertThat(read((StoreView v) -> v.activeEntities(0).toList()))
        .containsExactly(1L, 2L, 3L, HIGH);
    assertThat(read((StoreView v) -> v.activeEntities(2).toList())).containsExactly(3L, HIGH);
    write(
        t -> {
          t.putEntity(new EntityRow(2, EntityRow.Status.MERGED, "person", 1, 0));
          t.putEntity(new EntityRow(3, EntityRow.Status.MERGED, "person", 1, 0));
        });
    assertThat(read((StoreView v) -> v.aliases(1).toList())).containsExactly(2L, 3L);
    write(
        t -> {
          t.putEntity(new EntityRow(3, EntityRow.Status.MERGED, "person", HIGH, 0));
          t.putEntity(new EntityRow(1, EntityRow.Status.DELETED, "person", 0, 9));
        });
    assertThat(read((StoreView v) -> v.aliases(1).toList())).containsExactly(2L);
    assertThat(read((StoreView v) -> v.aliases(HIGH).toList())).containsExactly(3L);
    assertThat(read((StoreView v) -> v.activeEntities(0).toList())).containsExactly(HIGH);
    assertThat(read((StoreView v) -> v.entity(1)))
        .isEqualTo(new EntityRow(1, EntityRow.Status.DELETED, "person", 0, 9));
    assertThat(read((StoreView v) -> v.entity(77))).isNull();
  }

  @Test
  void putConflicts_replaceAndRemove_maintainUnitsAndSortedIndex() {
    Direct d1 = direct(1, "email", 0);
    Direct d2 = direct(1, "name", 0);
    ConstraintViolation c =
        new ConstraintViolation(
            "person",
            "email",
            Interval.of(0, 5),
            "u",
            ConstraintKind.UNIQUE,
            "a@x",
            null,
            List.of(new EntityHolders(1, List.of(ALICE)), new EntityHolders(HIGH, List.of(CLEF))));
    write(
        t -> {
          t.putConflicts("D:1", List.of(d1, d2));
          t.putConflicts("C:u", List.of(c));
        });
    assertThat(read((StoreView v) -> v.conflicts("D:1"))).containsExactly(d1, d2);
    assertThat(read((StoreView v) -> v.conflictUnits(1).toList()))
        .containsExactlyInAnyOrder("D:1", "C:u");
    assertThat(read((StoreView v) -> v.conflictUnits(HIGH).toList())).containsExactly("C:u");
    assertThat(items(null, null)).containsExactlyElementsOf(sorted(List.of(d1, d2, c)));
    write(t -> t.putConflicts("D:1", List.of(d2)));
    assertThat(items(null, null)).containsExactlyElementsOf(sorted(List.of(d2, c)));
    write(t -> t.putConflicts("C:u", List.of()));
    assertThat(read((StoreView v) -> v.conflicts("C:u"))).isEmpty();
    assertThat(read((StoreView v) -> v.conflictUnits(HIGH).toList())).isEmpty();
    assertThat(items(null, null)).containsExactly(d2);
  }

  @Test
  void conflictRange_bounds_areExclusive() {
    List<ConflictItem> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(direct(i + 1, "email", i * 100));
    }
    write(
        t -> {
          for (int i = 0; i < all.size(); i++) {
            t.putConflicts("D:" + (i + 1), List.of(all.get(i)));
          }
        });
    List<ConflictItem> order = sorted(all);
    byte[] k1 = ConflictOrder.key(order.get(1));
    byte[] k3 = ConflictOrder.key(order.get(3));
    assertThat(items(k1, k3)).containsExactly(order.get(2));
    assertThat(items(k1, null)).containsExactlyElementsOf(order.subList(2, 5));
    assertThat(items(null, k1)).containsExactly(order.get(0));
    List<ConflictEntry> entries = read((StoreView v) -> v.conflictRange(null, null).toList());
    assertThat(entries.get(0).sortKey()).isEqualTo(ConflictOrder.key(order.get(0)));
    byte[] prefix = ConflictOrder.typePrefix("person");
    assertThat(items(null, ConflictOrder.prefixEnd(prefix))).hasSize(5);
    assertThat(items(ConflictOrder.prefixEnd(prefix), null)).isEmpty();
  }

  private List<ConflictItem> items(byte[] after, byte[] before) {
    return read((StoreView v) -> v.conflictRange(after, before).toList()).stream()
        .map(ConflictEntry::item)
        .toList();
  }

  private static List<ConflictItem> sorted(List<ConflictItem> items) {
    List<ConflictItem> out = new ArrayList<>(items);
    out.sort((a, b) -> ConflictOrder.compare(ConflictOrder.key(a), ConflictOrder.key(b)));
    return out;
  }

  @Test
  void events_fromTx_inclusiveInOrder() {
    EntityEvent e1 = new EntityEvent(1, EntityEvent.Kind.CREATED, 1, List.of());
    EntityEvent e2a = new EntityEvent(2, EntityEvent.Kind.MERGED, 1, List.of(2L, HIGH));
    EntityEvent e2b = new EntityEvent(2, EntityEvent.Kind.UPDATED, 3, List.of());
    EntityEvent e3 = new EntityEvent(3, EntityEvent.Kind.DELETED, 1, List.of());
    write(t -> t.appendEvents(List.of(e1)));
    write(t -> t.appendEvents(List.of(e2a, e2b)));
    write(t -> t.appendEvents(List.of(e3)));
    assertThat(read((StoreView v) -> v.events(0).toList())).containsExactly(e1, e2a, e2b, e3);
    assertThat(read((StoreView v) -> v.events(2).toList())).containsExactly(e2a, e2b, e3);
    assertThat(read((StoreView v) -> v.events(4).toList())).isEmpty();
  }

  @Test
  void events_skipWithinTheFirstTx_startsAtThatPosition() {
    EntityEvent e1 = new EntityEvent(1, EntityEvent.Kind.CREATED, 1, List.of());
    EntityEvent e2a = new EntityEvent(2, EntityEvent.Kind.CREATED, 2, List.of());
    EntityEvent e2b = new EntityEvent(2, EntityEvent.Kind.CREATED, 3, List.of());
    EntityEvent e2c = new EntityEvent(2, EntityEvent.Kind.CREATED, 4, List.of());
    EntityEvent e3 = new EntityEvent(3, EntityEvent.Kind.DELETED, 1, List.of());
    write(t -> t.appendEvents(List.of(e1)));
    write(t -> t.appendEvents(List.of(e2a, e2b, e2c)));
    write(t -> t.appendEvents(List.of(e3)));
    assertThat(read((StoreView v) -> v.events(2, 0).toList())).containsExactly(e2a, e2b, e2c, e3);
    assertThat(read((StoreView v) -> v.events(2, 2).toList())).containsExactly(e2c, e3);
    assertThat(read((StoreView v) -> v.events(2, 3).toList())).containsExactly(e3);
    assertThat(read((StoreView v) -> v.events(2, 70_000).toList())).containsExactly(e3);
    assertThat(read((StoreView v) -> v.events(1, 1).toList())).containsExactly(e2a, e2b, e2c, e3);
    assertThat(read((StoreView v) -> v.events(3, 1).toList())).isEmpty();
  }

  @Test
  void appendEvents_moreThan65535InOneTx_allReadBackInOrderAroundNeighbours() {
    int n = 140_000; // > 2 × 65,535: several events per stored key on a disk store
    List<EntityEvent> many = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      EntityEvent.Kind kind = i % 3 == 0 ? EntityEvent.Kind.SPLIT : EntityEvent.Kind.CREATED;
      many.add(new EntityEvent(2, kind, i + 1L, i % 3 == 0 ? List.of(HIGH) : List.of()));
    }
    EntityEvent before = new EntityEvent(1, EntityEvent.Kind.CREATED, 7, List.of());
    EntityEvent after = new EntityEvent(3, EntityEvent.Kind.DELETED, 7, List.of());
    write(t -> t.appendEvents(List.of(before)));
    write(t -> t.appendEvents(many));
    write(t -> t.appendEvents(List.of(after)));
    List<EntityEvent> all = read((StoreView v) -> v.events(0).toList());
    assertThat(all).hasSize(n + 2);
    assertThat(all.get(0)).isEqualTo(before);
    assertThat(all.subList(1, n + 1)).isEqualTo(many);
    assertThat(all.get(n + 1)).isEqualTo(after);
    assertThat(read((StoreView v) -> v.events(3).toList())).containsExactly(after);
    // Positions inside the big transaction: on a key boundary, inside a packed key, past the end.
    for (int skip : new int[] {1, 65_535, 70_001, n - 1, n, n + 5}) {
      List<EntityEvent> rest = read((StoreView v) -> v.events(2, skip).toList());
      assertThat(rest).hasSize(Math.max(0, n - skip) + 1);
      if (skip < n) {
        assertThat(rest.get(0)).as("first event after skipping %d", skip).isEqualTo(many.get(skip));
      }
      assertThat(rest.get(rest.size() - 1)).isEqualTo(after);
    }
  }

  @Test
  void appendEventsPieces_acrossSpills_readBackAsOneList() {
    int n = 140_001; // 3 events per stored key on a disk store; pieces end inside keys
    int piece = 7_777;
    List<EntityEvent> many = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      many.add(new EntityEvent(2, EntityEvent.Kind.SPLIT, i + 1L, List.of(HIGH)));
    }
    EntityEvent before = new EntityEvent(1, EntityEvent.Kind.CREATED, 7, List.of());
    write(t -> t.appendEvents(List.of(before)));
    write(
        t -> {
          for (int from = 0, k = 0; from < n; from += piece, k++) {
            t.appendEvents(2, from, n, many.subList(from, Math.min(n, from + piece)));
            if (k % 2 == 0) {
              t.spill();
            }
          }
        });
    List<EntityEvent> all = read((StoreView v) -> v.events(0).toList());
    assertThat(all.get(0)).isEqualTo(before);
    assertThat(all.subList(1, all.size())).isEqualTo(many);
    for (int skip : new int[] {1, 7_777, 70_001, n - 1}) {
      assertThat(read((StoreView v) -> v.events(2, skip).toList()))
          .as("events after skipping %d", skip)
          .isEqualTo(many.subList(skip, n));
    }
  }

  @Test
  void appendEventsPieces_pieceNotWhereStoredEventsEnd_fails() {
    List<EntityEvent> ten = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ten.add(new EntityEvent(5, EntityEvent.Kind.CREATED, i + 1L, List.of()));
    }
    assertThatThrownBy(
            () ->
                write(
                    t -> {
                      t.appendEvents(5, 0, 10, ten.subList(0, 4));
                      t.appendEvents(5, 6, 10, ten.subList(6, 10));
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("transaction 5");
    assertThatThrownBy(() -> write(t -> t.appendEvents(5, 8, 9, ten.subList(0, 4))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not fit a list of 9");
    assertThat(read((StoreView v) -> v.events(5).toList())).isEmpty();
  }

  @Test
  void appendEvents_twiceForOneTx_replacesTheEarlierList() {
    List<EntityEvent> big = new java.util.ArrayList<>();
    for (int i = 0; i < 70_000; i++) {
      big.add(new EntityEvent(4, EntityEvent.Kind.UPDATED, i + 1L, List.of()));
    }
    EntityEvent one = new EntityEvent(4, EntityEvent.Kind.CREATED, 9, List.of());
    write(
        t -> {
          t.appendEvents(big);
          t.appendEvents(List.of(one));
        });
    assertThat(read((StoreView v) -> v.events(0).toList())).containsExactly(one);
  }

  @Test
  void txn_reads_seeItsOwnWrites() {
    TupleKey key = new TupleKey("person", "k", List.of("a"));
    try (StoreTxn t = store.begin()) {
      t.putIdentity(ALICE, 1);
      t.putRecord(version(1, ALICE, 1, 1, "x"));
      t.putPosting(key, 1, IntervalSet.of(0, 1));
      t.putValuePosting("name", "x", 1, IntervalSet.of(0, 10));
      t.setEntityOf(1, 5);
      t.putEntity(EntityRow.active(5, "person"));
      t.putConflicts("D:5", List.of(direct(5, "name", 0)));
      t.appendEvents(List.of(new EntityEvent(1, EntityEvent.Kind.CREATED, 5, List.of())));
      t.putMeta(StoreMeta.INITIAL.withCounters(2, 6, 1));
      assertThat(t.recordId(ALICE)).isEqualTo(OptionalLong.of(1));
      assertThat(t.record(1)).isEqualTo(version(1, ALICE, 1, 1, "x"));
      assertThat(t.postings(key).toList()).extracting(Posting::recordId).containsExactly(1L);
      assertThat(t.valuePostings("name", "x").toList()).hasSize(1);
      assertThat(t.liveRecords(0).toList()).containsExactly(1L);
      assertThat(t.members(5).toList()).containsExactly(1L);
      assertThat(t.activeEntities(0).toList()).containsExactly(5L);
      assertThat(t.conflictUnits(5).toList()).containsExactly("D:5");
      assertThat(t.conflictRange(null, null).toList()).hasSize(1);
      assertThat(t.events(1).toList()).hasSize(1);
      assertThat(t.meta().lastTx()).isEqualTo(1);
      t.deletePosting(key, 1);
      assertThat(t.postings(key).toList()).isEmpty();
      t.commit();
    }
    assertThat(read((StoreView v) -> v.recordId(ALICE))).isEqualTo(OptionalLong.of(1));
    assertThat(read((StoreView v) -> v.postings(key).toList())).isEmpty();
  }

  @Test
  void txn_closedWithoutCommit_leavesNothing() {
    write(t -> t.putValuePosting("name", "kept", 1, IntervalSet.of(0, 1)));
    try (StoreTxn t = store.begin()) {
      t.putIdentity(CLEF, 9);
      t.putRecord(version(9, CLEF, 1, 1, "gone"));
      t.putValuePosting("fresh-attr", "gone", 9, IntervalSet.of(0, 1));
      t.putValuePosting("name", "kept", 1, IntervalSet.of(5, 6));
      t.setEntityOf(9, 4);
      t.putEntity(EntityRow.active(4, "person"));
      t.putMeta(StoreMeta.INITIAL.withCounters(10, 5, 1));
    }
    assertThat(read((StoreView v) -> v.recordId(CLEF))).isEmpty();
    assertThat(read((StoreView v) -> v.record(9))).isNull();
    assertThat(read((StoreView v) -> v.valuePostings("fresh-attr", "gone").toList())).isEmpty();
    assertThat(read((StoreView v) -> v.valuePostings("name", "kept").toList()))
        .containsExactly(new Posting(1, IntervalSet.of(0, 1)));
    assertThat(read((StoreView v) -> v.entityOf(9))).isZero();
    assertThat(read((StoreView v) -> v.activeEntities(0).toList())).isEmpty();
    assertThat(read(StoreView::meta)).isEqualTo(StoreMeta.INITIAL);
    // The strings of the aborted transaction can be written again afterwards.
    write(t -> t.putValuePosting("fresh-attr", "gone", 9, IntervalSet.of(0, 1)));
    assertThat(read((StoreView v) -> v.valuePostings("fresh-attr", "gone").toList())).hasSize(1);
    assertThat(read((StoreView v) -> v.valuePostings("name", "kept").toList())).hasSize(1);
  }

  @Test
  void commit_manyWrites_allVisibleTogether() {
    write(
        t -> {
          for (long rid = 1; rid <= 50; rid++) {
            t.putRecord(version(rid, Identity.of("person", "crm", "u" + rid), 1, 1, "v" + rid));
            t.setEntityOf(rid, 100 + rid % 3);
          }
          t.putMeta(StoreMeta.INITIAL.withCounters(51, 4, 1));
        });
    assertThat(read((StoreView v) -> v.liveRecords(0).toList())).hasSize(50);
    assertThat(read((StoreView v) -> v.members(100).toList())).hasSize(16);
    assertThat(read((StoreView v) -> v.meta().nextRecord())).isEqualTo(51);
  }

  @Test
  void counts_directWritesAndAbort_trackLiveRecordsActiveEntitiesAndItems() {
    Identity bob = Identity.of("person", "crm", "bob");
    write(
        t -> {
          t.putRecord(version(1, ALICE, 1, 1, "a"));
          t.putRecord(version(2, bob, 1, 1, "b"));
          t.putRecord(version(1, ALICE, 2, 1, "a2"));
          t.putEntity(EntityRow.active(10, "person"));
          t.putEntity(EntityRow.active(11, "person"));
          t.putConflicts("u1", List.of(direct(10, "name", 0), direct(10, "email", 0)));
          assertThat(t.counts()).isEqualTo(new StoreCounts(2, 2, 2));
        });
    assertThat(read(StoreView::counts)).isEqualTo(new StoreCounts(2, 2, 2));
    try (StoreTxn t = store.begin()) {
      t.putRecord(new RecordVersion(2, bob, 2, 2, ChangeKind.DELETED, null));
      t.putEntity(new EntityRow(11, EntityRow.Status.MERGED, "person", 10, 0));
      t.putConflicts("u1", List.of());
      assertThat(t.counts()).isEqualTo(new StoreCounts(1, 1, 0));
    }
    assertThat(read(StoreView::counts)).isEqualTo(new StoreCounts(2, 2, 2));
    write(
        t -> {
          t.putRecord(new RecordVersion(2, bob, 2, 2, ChangeKind.DELETED, null));
          t.putEntity(new EntityRow(11, EntityRow.Status.MERGED, "person", 10, 0));
          t.putConflicts("u1", List.of(direct(10, "name", 0)));
        });
    assertThat(read(StoreView::counts)).isEqualTo(new StoreCounts(1, 1, 1));
    assertThat(read(StoreCounts::recount)).isEqualTo(new StoreCounts(1, 1, 1));
  }

  @Test
  void counts_randomEngineWorkloads_equalFullRecountAfterEveryRequest() {
    WorkloadGenerator generator = new WorkloadGenerator();
    Engine engine = new Engine(store, EngineConfig.defaults());
    int checks = 0;
    // One store for every seed: later workloads update, delete and re-resolve earlier records.
    for (long seed = 1; seed <= 12; seed++) {
      Workload w = generator.generate(seed * 7919);
      engine.setOntology(w.ontology(), null);
      assertCountsMatchRecount();
      for (Op op : w.ops()) {
        switch (op) {
          case Op.Upsert u -> engine.upsert(u.records());
          case Op.Delete d -> engine.delete(d.identities());
        }
        assertCountsMatchRecount();
        checks++;
      }
    }
    assertThat(checks).isGreaterThan(50);
    assertThat(read(StoreView::counts).records()).isPositive();
  }

  private void assertCountsMatchRecount() {
    try (StoreView v = store.view()) {
      assertThat(v.counts()).isEqualTo(StoreCounts.recount(v));
    }
  }
}
