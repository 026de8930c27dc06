package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.model.Identity;
import io.tempora.engine.store.Commit;
import io.tempora.engine.store.StoreException;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;

/**
 * STORAGE.md §4.3, the durable read view: in {@code immediate} mode views read the state of the
 * last finished WAL fsync, so they never show a commit whose fsync is still running or failed, and
 * a view opened after an acknowledgement shows that write. The fsync is gated by a latch to hold a
 * commit between its write and its fsync.
 */
class DurableReadViewTest {
  private static final Identity ALICE = Identity.of("person", "crm", "alice");
  private static final StorageConfig IMMEDIATE =
      StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.IMMEDIATE);

  @TempDir Path dir;

  /** A WAL fsync that, once armed, signals its start and waits for a release (or fails). */
  private static final class GatedSync implements UnaryOperator<Runnable> {
    volatile boolean armed;
    volatile boolean fail;
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public Runnable apply(Runnable sync) {
      return () -> {
        if (armed) {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          if (fail) {
            throw new StoreException("injected fsync failure");
          }
        }
        sync.run();
      };
    }
  }

  private static Commit put(RocksShardStore store, Identity id, long rid) {
    try (StoreTxn t = store.begin()) {
      t.putIdentity(id, rid);
      return t.commit();
    }
  }

  private static OptionalLong seen(RocksShardStore store, Identity id) {
    try (StoreView v = store.view()) {
      return v.recordId(id);
    }
  }

  @Test
  void view_whileTheCommitsFsyncRuns_doesNotShowIt_thenShowsItOnceDurable() throws Exception {
    GatedSync gate = new GatedSync();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (RocksShardStore store = RocksShardStore.open(dir, IMMEDIATE, gate)) {
      gate.armed = true;
      Commit commit = put(store, ALICE, 7);
      Future<?> acked = pool.submit(commit::awaitDurable);
      assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();

      assertThat(seen(store, ALICE)).as("view during the fsync").isEmpty();
      try (StoreTxn t = store.begin()) {
        assertThat(t.recordId(ALICE)).as("the writer reads the latest state").hasValue(7);
      }
      assertThat(acked).isNotDone();

      gate.release.countDown();
      acked.get(30, TimeUnit.SECONDS);
      assertThat(seen(store, ALICE)).as("view after the ack").hasValue(7);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void view_afterTheCommitsFsyncFailed_neverShowsIt() throws Exception {
    GatedSync gate = new GatedSync();
    RocksShardStore store = RocksShardStore.open(dir, IMMEDIATE, gate);
    try {
      put(store, Identity.of("person", "crm", "before"), 1).awaitDurable();
      CompletableFuture<StoreException> heard = new CompletableFuture<>();
      store.onSyncFailure(heard::complete);
      gate.armed = true;
      gate.fail = true;
      Commit commit = put(store, ALICE, 7);
      CompletableFuture<Void> acked = CompletableFuture.runAsync(commit::awaitDurable);
      assertThat(gate.entered.await(30, TimeUnit.SECONDS)).isTrue();
      gate.release.countDown();

      assertThatThrownBy(() -> acked.get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(StoreException.class)
          .hasMessageContaining("WAL fsync failed");
      assertThat(seen(store, ALICE)).isEmpty();
      assertThat(seen(store, Identity.of("person", "crm", "before"))).hasValue(1);
      // §4.4: the shard process hears of it (and exits with status 1).
      assertThat(heard.get(30, TimeUnit.SECONDS)).isInstanceOf(StoreException.class);
    } finally {
      store.close();
    }
  }

  @Test
  void views_openedAfterEachAck_showThatWrite_concurrentWriters() throws Exception {
    int threads = 8;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (RocksShardStore store = RocksShardStore.open(dir, IMMEDIATE)) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int k = 0; k < perThread; k++) {
                    long rid = thread * 1000L + k + 1;
                    Identity id = Identity.of("person", "crm", "t" + thread + "-" + k);
                    put(store, id, rid).awaitDurable();
                    assertThat(seen(store, id)).as("%s after its ack", id).hasValue(rid);
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
      assertThat(store.walSyncedCommits()).isEqualTo((long) threads * perThread);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void views_closed_releaseEverySnapshotButThePublishedOne() throws RocksDBException {
    try (RocksShardStore store = RocksShardStore.open(dir, IMMEDIATE)) {
      List<StoreView> open = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        open.add(store.view());
        put(store, Identity.of("person", "crm", "u" + i), i).awaitDurable();
      }
      assertThat(snapshots(store)).isGreaterThan(1);
      open.forEach(StoreView::close);
      assertThat(snapshots(store)).isEqualTo(1);
    }
  }

  @Test
  void batchedMode_view_showsTheLatestCommitBeforeAnyFsync() {
    GatedSync gate = new GatedSync();
    gate.armed = true;
    StorageConfig batched = IMMEDIATE.withDurability(Durability.BATCHED);
    try (RocksShardStore store = RocksShardStore.open(dir, batched, gate)) {
      put(store, ALICE, 7).awaitDurable();
      assertThat(seen(store, ALICE)).hasValue(7);
      gate.release.countDown();
    }
  }

  private static long snapshots(RocksShardStore store) throws RocksDBException {
    return Long.parseLong(store.rocks().db().getProperty("rocksdb.num-snapshots"));
  }
}
