package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.model.EntityRow;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write transaction remembers its point reads of a record's entity and of entity rows (the engine
 * reads them several times per request): every read still sees the transaction's own latest write
 * or delete, within and beyond the number of keys it remembers, and nothing of an uncommitted
 * transaction survives it.
 */
class TransactionReadsTest {
  @TempDir Path dir;
  private TestStores stores;
  private RocksShardStore store;

  @BeforeEach
  void open() {
    stores = new TestStores(dir);
    store = stores.open();
  }

  @AfterEach
  void close() {
    stores.close();
  }

  @Test
  void entityOf_readThenWrittenThenDeleted_readsEachWrite() {
    try (StoreTxn txn = store.begin()) {
      assertThat(txn.entityOf(11)).isZero();
      txn.setEntityOf(11, 5);
      assertThat(txn.entityOf(11)).isEqualTo(5);
      txn.setEntityOf(11, 0);
      assertThat(txn.entityOf(11)).isZero();
      txn.setEntityOf(11, 9);
      assertThat(txn.entityOf(11)).isEqualTo(9);
      assertThat(txn.members(9).toList()).containsExactly(11L);
      assertThat(txn.members(5).toList()).isEmpty();
      txn.commit().awaitDurable();
    }
    try (StoreTxn txn = store.begin()) {
      assertThat(txn.entityOf(11)).isEqualTo(9);
      txn.setEntityOf(11, 4);
      assertThat(txn.entityOf(11)).isEqualTo(4);
      // Closed without commit: discarded.
    }
    try (StoreView v = store.view()) {
      assertThat(v.entityOf(11)).isEqualTo(9);
    }
    try (StoreTxn txn = store.begin()) {
      assertThat(txn.entityOf(11)).isEqualTo(9);
    }
  }

  @Test
  void entity_rewrittenInOneTransaction_readsTheLatestRow() {
    EntityRow merged = new EntityRow(7, EntityRow.Status.MERGED, "person", 3, 0);
    try (StoreTxn txn = store.begin()) {
      assertThat(txn.entity(7)).isNull();
      txn.putEntity(EntityRow.active(7, "person"));
      assertThat(txn.entity(7)).isEqualTo(EntityRow.active(7, "person"));
      txn.putEntity(merged);
      assertThat(txn.entity(7)).isEqualTo(merged);
      assertThat(txn.aliases(3).toList()).containsExactly(7L);
      txn.commit().awaitDurable();
    }
    try (StoreView v = store.view()) {
      assertThat(v.entity(7)).isEqualTo(merged);
    }
  }

  @Test
  void entityOf_moreKeysThanRemembered_readsOwnWritesThroughout() {
    int n = RocksShardStore.rememberedKeys() + 500;
    try (StoreTxn txn = store.begin()) {
      for (long rid = 1; rid <= n; rid++) {
        assertThat(txn.entityOf(rid)).isZero();
        txn.setEntityOf(rid, 1 + rid % 3);
      }
      for (long rid = 1; rid <= n; rid++) {
        assertThat(txn.entityOf(rid)).as("rid %d", rid).isEqualTo(1 + rid % 3);
        txn.setEntityOf(rid, 10 + rid % 5);
      }
      for (long rid = 1; rid <= n; rid++) {
        assertThat(txn.entityOf(rid)).as("rid %d", rid).isEqualTo(10 + rid % 5);
      }
      txn.commit().awaitDurable();
    }
    try (StoreView v = store.view()) {
      assertThat(v.entityOf(1)).isEqualTo(11);
      assertThat(v.entityOf(n)).isEqualTo(10 + n % 5);
      assertThat(v.members(10).toList()).hasSize(n / 5);
    }
  }
}
