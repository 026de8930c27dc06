package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.model.EntityRow;
import io.tempora.engine.store.Store;
import io.tempora.engine.store.StoreContractTest;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on RocksDB, plus what only a snapshot store can show. */
class RocksShardStoreContractTest extends StoreContractTest {
  @TempDir Path dir;

  @Override
  protected Store newStore() {
    return RocksShardStore.open(dir, TestStores.fastConfig());
  }

  @Test
  void view_openBeforeCommit_keepsItsSnapshot() {
    try (StoreView before = store.view()) {
      write(
          t -> {
            t.putIdentity(ALICE, 1);
            t.putEntity(EntityRow.active(1, "person"));
          });
      assertThat(before.recordId(ALICE)).isEmpty();
      assertThat(before.activeEntities(0).toList()).isEmpty();
    }
    assertThat(read(StoreView::meta)).isNotNull();
    try (StoreView after = store.view()) {
      assertThat(after.recordId(ALICE)).isEqualTo(OptionalLong.of(1));
    }
  }

  @Test
  void closedStore_everyCall_throwsIllegalState() {
    StoreView v = store.view();
    v.close();
    store.close();
    assertThatThrownBy(store::view).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(store::begin).isInstanceOf(IllegalStateException.class);
    store = RocksShardStore.open(dir, TestStores.fastConfig());
  }

  @Test
  void commit_emptyTxn_consumesNoWriteSequence() {
    write(t -> t.putIdentity(ALICE, 1));
    long before = wseq();
    try (StoreTxn t = store.begin()) {
      t.commit().awaitDurable();
    }
    assertThat(wseq()).isEqualTo(before);
  }

  private long wseq() {
    try (StoreView v = store.view()) {
      return RocksShardStore.readLong(((RocksView) v).get(Cf.META, RocksShardStore.LAST_WSEQ));
    }
  }
}
