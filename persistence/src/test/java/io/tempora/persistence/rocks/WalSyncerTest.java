package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.model.Identity;
import io.tempora.engine.store.Commit;
import io.tempora.engine.store.StoreTxn;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Durability modes: group commit shares fsyncs; batched syncs in the background. */
class WalSyncerTest {
  @TempDir Path dir;

  private static final int THREADS = 16;

  private static Commit commitOne(RocksShardStore store, int i) {
    try (StoreTxn t = store.begin()) {
      t.putIdentity(Identity.of("person", "crm", "u" + i), i);
      return t.commit();
    }
  }

  @Test
  void immediate_commitsWrittenDuringAnFsync_shareTheNextOne() throws Exception {
    // Default config (no group-commit wait). The first fsync is held on a latch so that the other
    // commits are deterministically written while it runs; the syncer must then cover all of them
    // with one further fsync instead of one each (the syncer wakes on every commit, so without the
    // gate how many commits share an fsync depends on scheduling).
    StorageConfig config =
        StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.IMMEDIATE);
    CountDownLatch firstSyncEntered = new CountDownLatch(1);
    CountDownLatch releaseFirstSync = new CountDownLatch(1);
    boolean[] gated = {false};
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (RocksShardStore store =
        RocksShardStore.open(
            dir,
            config,
            sync ->
                () -> {
                  if (!gated[0]) {
                    gated[0] = true;
                    firstSyncEntered.countDown();
                    awaitUninterruptibly(releaseFirstSync);
                  }
                  sync.run();
                })) {
      long before = store.walSyncCount();
      Commit first = commitOne(store, 1);
      assertThat(firstSyncEntered.await(30, TimeUnit.SECONDS)).isTrue();
      List<Future<?>> done = new ArrayList<>();
      done.add(pool.submit(first::awaitDurable));
      for (int i = 2; i <= THREADS; i++) {
        Commit c = commitOne(store, i);
        done.add(pool.submit(c::awaitDurable));
      }
      releaseFirstSync.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(store.walSyncCount() - before).isBetween(1L, 2L);
      // A lone commit still gets its own fsync without waiting for others.
      long after = store.walSyncCount();
      commitOne(store, 100).awaitDurable();
      assertThat(store.walSyncCount()).isEqualTo(after + 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void immediate_loneWriterWithGroupCommitWait_neverWaits() {
    StorageConfig config =
        StorageConfig.defaults(0)
            .withSmallCaches()
            .withDurability(Durability.IMMEDIATE)
            .withGroupCommitMaxWait(Duration.ofSeconds(1));
    try (RocksShardStore store = RocksShardStore.open(dir, config)) {
      long before = store.walSyncCount();
      for (int i = 1; i <= 50; i++) {
        commitOne(store, i).awaitDurable();
      }
      // ST-T2 "a single writer gets no added delay": the syncer never held an fsync back.
      assertThat(store.groupCommitWaits()).isZero();
      assertThat(store.walSyncCount()).isEqualTo(before + 50);
    }
  }

  @Test
  void immediate_writersQueuedForATransaction_fsyncWaitsForTheirCommits() {
    StorageConfig config =
        StorageConfig.defaults(0)
            .withSmallCaches()
            .withDurability(Durability.IMMEDIATE)
            .withGroupCommitMaxWait(Duration.ofSeconds(1));
    AtomicInteger queued = new AtomicInteger();
    try (RocksShardStore store = RocksShardStore.open(dir, config)) {
      store.writersQueued(queued::get);
      long before = store.walSyncCount();
      long waitsBefore = store.groupCommitWaits();
      // A writer is queued behind commit 1 (as the engine's write lock reports): the syncer holds
      // the fsync back for it instead of syncing commit 1 alone.
      queued.set(1);
      Commit first = commitOne(store, 1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (store.groupCommitWaits() == waitsBefore && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      // The syncer is holding the fsync back (it counts a wait when it starts one).
      assertThat(store.groupCommitWaits() - waitsBefore).isEqualTo(1);
      assertThat(store.durableWseq()).isLessThan(store.appliedWseq());
      queued.set(0);
      Commit second = commitOne(store, 2);
      first.awaitDurable();
      second.awaitDurable();
      assertThat(store.walSyncCount() - before).as("one fsync for both commits").isEqualTo(1);
      assertThat(store.groupCommitWaits() - waitsBefore).isEqualTo(1);
    }
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void config_groupCommitWaitOutOfRange_isRejectedNamingTheKey() {
    StorageConfig base = StorageConfig.defaults(0);
    assertThatThrownBy(() -> base.withGroupCommitMaxWait(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("storage.group_commit_max_wait_us")
        .hasMessageContaining("2000000");
    assertThatThrownBy(() -> base.withGroupCommitMaxWait(Duration.ofNanos(-1000)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("storage.group_commit_max_wait_us");
    assertThat(base.groupCommitMaxWait()).isZero();
  }

  @Test
  void batched_commitsDoNotWait_backgroundSyncFollows() throws Exception {
    StorageConfig config =
        new StorageConfig(
            0,
            Durability.BATCHED,
            Duration.ofMillis(20),
            4L << 20,
            Duration.ofMillis(10),
            1000,
            8L << 20,
            4L << 20,
            256,
            10,
            2,
            false);
    try (RocksShardStore store = RocksShardStore.open(dir, config)) {
      commitOne(store, 1).awaitDurable();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (store.walSyncCount() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(store.walSyncCount()).isPositive();
    }
  }

  @Test
  void async_neverSyncs_butCloseWritesWatermark() {
    StorageConfig config =
        StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.ASYNC);
    try (RocksShardStore store = RocksShardStore.open(dir, config)) {
      commitOne(store, 1).awaitDurable();
      commitOne(store, 2).awaitDurable();
      assertThat(store.walSyncCount()).isZero();
    }
    assertThat(AckedFile.read(dir)).isEqualTo(new AckedFile.Present(new AckedFile(0, 2, 0)));
  }
}
