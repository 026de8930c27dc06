package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.VerifyReport;
import io.tempora.persistence.codec.ValueCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * A transaction with more events than the u16 ordinal of the {@code events} key can number
 * (docs/storage.md "Events"): packed values, read back in order, checked by verify.
 */
class PackedEventsTest {
  @TempDir Path dir;

  private static List<EntityEvent> events(long tx, int n) {
    List<EntityEvent> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(
          i % 2 == 0
              ? new EntityEvent(tx, EntityEvent.Kind.SPLIT, i + 1L, List.of(i + 2L, -5L))
              : new EntityEvent(tx, EntityEvent.Kind.CREATED, i + 1L, List.of()));
    }
    return out;
  }

  /** Commits {@code events} of tx 1 with a store meta whose last tx is 1. */
  private static void commit(RocksShardStore store, List<EntityEvent> events) {
    try (StoreTxn t = store.begin()) {
      t.putMeta(StoreMeta.INITIAL.withCounters(1, 1, 1));
      t.appendEvents(events);
      t.commit().awaitDurable();
    }
  }

  private static List<byte[][]> rows(RocksShardStore store) {
    try (StoreView v = store.view()) {
      return ((RocksView) v)
          .scan(Cf.EVENTS, new byte[0], null, (k, val) -> new byte[][] {k, val})
          .toList();
    }
  }

  private static List<EntityEvent> readAll(RocksShardStore store) {
    try (StoreView v = store.view()) {
      return v.events(0).toList();
    }
  }

  @Test
  void appendEvents_65535Events_oneEventPerKeyInLayoutOne() {
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig())) {
      List<EntityEvent> in = events(1, 65_535);
      commit(store, in);
      List<byte[][]> rows = rows(store);
      assertThat(rows).hasSize(65_535);
      assertThat(rows).allSatisfy(r -> assertThat(r[1][0]).isEqualTo((byte) ValueCodec.LAYOUT));
      assertThat(readAll(store)).isEqualTo(in);
    }
  }

  @Test
  void appendEvents_65536Events_twoPerKeyInPackedLayout() {
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig())) {
      List<EntityEvent> in = events(1, 65_536);
      commit(store, in);
      List<byte[][]> rows = rows(store);
      assertThat(rows).hasSize(32_768);
      assertThat(rows)
          .allSatisfy(r -> assertThat(r[1][0]).isEqualTo((byte) ValueCodec.PACKED_EVENTS_LAYOUT));
      assertThat(Keys.u64(rows.get(32_767)[0], 0)).isEqualTo(1);
      assertThat(readAll(store)).isEqualTo(in);
    }
  }

  @Test
  @DisplayName(
      "more than 65,535 events in one tx: all read back in order after reopen, verify clean")
  void appendEvents_200kEventsInOneTx_readBackAfterReopenAndVerifyClean() {
    int n = 200_001; // 4 per key, the last key holding 1
    List<EntityEvent> in = events(1, n);
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig())) {
      commit(store, in);
      assertThat(RocksTxn.eventsPerKey(n)).isEqualTo(4);
      assertThat(rows(store)).hasSize(50_001);
    }
    VerifyReport report = DataDirVerifier.verify(dir);
    assertThat(report.problems()).isEmpty();
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig())) {
      assertThat(readAll(store)).isEqualTo(in);
      try (StoreView v = store.view()) {
        assertThat(v.events(1).next()).isEqualTo(in.get(0));
        assertThat(v.events(2).hasNext()).isFalse();
      }
      assertThat(store.verify()).isEmpty();
    }
  }

  @Test
  @DisplayName("verify reports corrupt packed event values")
  void verify_corruptPackedValues_reportsEach() throws RocksDBException {
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig())) {
      commit(store, events(1, 70_000));
      List<byte[][]> rows = rows(store);
      byte[] truncated = Arrays.copyOf(rows.get(3)[1], rows.get(3)[1].length - 2);
      byte[] trailing = Arrays.copyOf(rows.get(4)[1], rows.get(4)[1].length + 1);
      byte[] empty = {(byte) ValueCodec.PACKED_EVENTS_LAYOUT, 0};
      byte[] unknown = rows.get(6)[1].clone();
      unknown[0] = 7;
      RocksStore rocks = store.rocks();
      try (WriteBatch b = new WriteBatch()) {
        b.put(rocks.handle(Cf.EVENTS), rows.get(3)[0], truncated);
        b.put(rocks.handle(Cf.EVENTS), rows.get(4)[0], trailing);
        b.put(rocks.handle(Cf.EVENTS), rows.get(5)[0], empty);
        b.put(rocks.handle(Cf.EVENTS), rows.get(6)[0], unknown);
        b.put(
            rocks.handle(Cf.EVENTS),
            rows.get(7)[0],
            ValueCodec.packedEvents(List.of(events(1, 1).get(0), events(9, 1).get(0))));
        rocks.writeSync(b);
      }
    }
    VerifyReport report = DataDirVerifier.verify(dir);
    assertThat(report.problems())
        .containsOnlyKeys("undecodable event value", "event tx disagrees with its key");
    assertThat(report.problems().get("undecodable event value").count()).isEqualTo(4);
    assertThat(report.problems().get("undecodable event value").examples())
        .anySatisfy(e -> assertThat(e).startsWith("tx 1 ordinal 3: ").contains("packed events"))
        .anySatisfy(e -> assertThat(e).contains("1 bytes after event 2"))
        .anySatisfy(e -> assertThat(e).contains("bad count 0"))
        .anySatisfy(e -> assertThat(e).contains("unknown value layout 7"));
    assertThat(report.problems().get("event tx disagrees with its key").examples())
        .containsExactly("tx 1 ordinal 7");
  }

  @Test
  void events_layoutOneValue_readAsOneEvent() {
    EntityEvent e = new EntityEvent(3, EntityEvent.Kind.MERGED, 4, List.of(5L));
    assertThat(ValueCodec.events(ValueCodec.event(e))).containsExactly(e);
    assertThat(ValueCodec.events(ValueCodec.packedEvents(List.of(e, e)))).containsExactly(e, e);
    assertThatThrownBy(() -> ValueCodec.packedEvents(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void appendEvents_eventsOfTwoTxs_failsNamingBoth() {
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig());
        StoreTxn t = store.begin()) {
      List<EntityEvent> mixed = List.of(events(1, 1).get(0), events(2, 1).get(0));
      assertThatThrownBy(() -> t.appendEvents(mixed))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("transactions 1 and 2");
    }
  }

  /**
   * An ontology switch appends its events in pieces, spilling between some of them; pieces that end
   * inside a packed key are continued by the next one (docs/storage.md "Ontology switch").
   */
  @Test
  void appendEvents_piecesAcrossSpills_writeTheKeysOfOneCall() {
    for (int total : new int[] {1_000, 140_001}) {
      List<EntityEvent> in = events(1, total);
      List<String> expected;
      try (RocksShardStore store =
          RocksShardStore.open(dir.resolve("one-" + total), TestStores.fastConfig())) {
        commit(store, in);
        expected = hex(rows(store));
      }
      try (RocksShardStore store =
          RocksShardStore.open(dir.resolve("pieces-" + total), TestStores.fastConfig())) {
        // 140,001 events pack 3 per key: pieces of 7,777 end inside a key.
        int piece = Math.min(7_777, total / 7);
        try (StoreTxn t = store.begin()) {
          t.putMeta(StoreMeta.INITIAL.withCounters(1, 1, 1));
          for (int from = 0, n = 0; from < total; from += piece, n++) {
            t.appendEvents(1, from, total, in.subList(from, Math.min(total, from + piece)));
            if (n % 2 == 0) {
              t.spill();
            }
          }
          assertThat(readAll(store)).as("events a view sees before the commit").isEmpty();
          t.commit().awaitDurable();
        }
        assertThat(hex(rows(store))).as("%d events", total).isEqualTo(expected);
        assertThat(readAll(store)).isEqualTo(in);
      }
    }
  }

  @Test
  void appendEvents_pieceNotWhereStoredEventsEnd_failsNamingWhere() {
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig());
        StoreTxn t = store.begin()) {
      List<EntityEvent> in = events(1, 100);
      t.appendEvents(1, 0, 100, in.subList(0, 10));
      assertThatThrownBy(() -> t.appendEvents(1, 20, 100, in.subList(20, 30)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("do not end at 20");
      assertThatThrownBy(() -> t.appendEvents(1, 10, 15, in.subList(10, 30)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("does not fit a list of 15");
      assertThatThrownBy(() -> t.appendEvents(2, 10, 100, in.subList(10, 20)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("transaction 1 in a piece of 2");
    }
  }

  private static List<String> hex(List<byte[][]> rows) {
    java.util.HexFormat h = java.util.HexFormat.of();
    return rows.stream().map(r -> h.formatHex(r[0]) + "=" + h.formatHex(r[1])).toList();
  }
}
