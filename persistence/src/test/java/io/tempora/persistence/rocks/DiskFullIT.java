package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.NotFoundException;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.store.StoreException;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STORAGE.md ST-T5: the data dir sits on a small tmpfs (needs root to mount; skipped with the
 * reason otherwise). Ingest until the disk is full: the failing request is not acknowledged and
 * fails with an error naming the problem, every acknowledged request is readable, reads keep
 * working, and after the space is grown and the store reopened every acknowledgement is there and
 * writes work again; the second test resumes writes without a restart (§4.4).
 */
class DiskFullIT {
  private static final StorageConfig CONFIG =
      StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.IMMEDIATE);

  @TempDir Path dir;
  private Path mnt;
  private boolean mounted;

  @BeforeEach
  void mountSmallTmpfs() throws Exception {
    mnt = Files.createDirectories(dir.resolve("mnt"));
    String reason = run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt.toString());
    if (reason != null) {
      System.out.println("ST-T5 skipped: cannot mount a tmpfs (" + reason + ")");
    }
    Assumptions.assumeTrue(reason == null, "ST-T5 needs root to mount a small tmpfs: " + reason);
    mounted = true;
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      run("umount", mnt.toString());
    }
  }

  /** Runs a command; returns null on success, else its output. */
  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    return p.waitFor() == 0 ? null : "exit " + p.exitValue() + ": " + out;
  }

  private static List<RecordInput> batch(Random rnd, int request) {
    List<RecordInput> out = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      byte[] noise = new byte[1024];
      rnd.nextBytes(noise);
      out.add(
          new RecordInput(
              Identity.of("person", "crm", "r" + request + "-" + i),
              List.of(Descriptor.always("blob", HexFormat.of().formatHex(noise)))));
    }
    return out;
  }

  @Test
  @DisplayName("ST-T5: disk full during ingest acknowledges no failed write and keeps reads")
  void ingest_diskFull_failsClearlyKeepsAcksAndReads() throws Exception {
    Path data = mnt.resolve("data");
    Random rnd = new Random(5);
    int acked = 0;
    RuntimeException failure = null;
    RocksShardStore store = RocksShardStore.open(data, CONFIG);
    try {
      Engine engine = new Engine(store, EngineConfig.defaults());
      for (int r = 0; r < 100_000 && failure == null; r++) {
        try {
          engine.upsert(batch(rnd, r));
          acked = r + 1;
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      assertThat(failure).as("the disk filled up").isNotNull();
      assertThat(failure).isInstanceOf(StoreException.class);
      assertThat(failure.getMessage()).containsIgnoringCase("space");
      System.out.println(
          "ST-T5: " + acked + " requests acknowledged, then: " + failure.getMessage());
      assertAcked(engine, acked);
    } finally {
      try {
        store.close();
      } catch (RuntimeException closeOnFullDisk) {
        System.out.println("ST-T5: close on a full disk: " + closeOnFullDisk.getMessage());
      }
    }
    assertThat(run("mount", "-o", "remount,size=256m", mnt.toString())).isNull();
    try (RocksShardStore again = RocksShardStore.open(data, CONFIG)) {
      Engine engine = new Engine(again, EngineConfig.defaults());
      assertAcked(engine, acked);
      int done = acked;
      assertThatCode(() -> engine.upsert(batch(rnd, done + 1))).doesNotThrowAnyException();
      assertThat(again.verify()).isEmpty();
    }
  }

  @Test
  @DisplayName(
      "STORAGE.md §4.4: disk full refuses writes, keeps reads; writes resume once space is back")
  void ingest_diskFullThenSpaceGrown_refusesWritesThenResumesWithoutRestart() throws Exception {
    Path data = mnt.resolve("data");
    Random rnd = new Random(6);
    int acked = 0;
    RuntimeException failure = null;
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG)) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      for (int r = 0; r < 100_000 && failure == null; r++) {
        try {
          engine.upsert(batch(rnd, r));
          acked = r + 1;
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      assertThat(failure).as("the disk filled up").isNotNull();
      System.out.println("§4.4: first failure: " + failure.getMessage());
      assertThat(store.writesRefused()).as("writes refused after the failed write").isNotNull();
      int next = acked;
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.upsert(batch(rnd, next + 1)))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("writes refused");
      assertAcked(engine, acked);

      assertThat(store.tryResumeWrites()).as("no space yet: the probe write fails").isFalse();
      java.util.concurrent.CountDownLatch recovered = new java.util.concurrent.CountDownLatch(1);
      store.onErrorRecovered(recovered::countDown);
      assertThat(run("mount", "-o", "remount,size=256m", mnt.toString())).isNull();
      long t0 = System.nanoTime();
      // RocksDB notices the freed space on its own (its SstFileManager polls) and says so.
      assertThat(recovered.await(2, java.util.concurrent.TimeUnit.MINUTES))
          .as("RocksDB recovered from the background error")
          .isTrue();
      System.out.println(
          "§4.4: RocksDB recovered "
              + (System.nanoTime() - t0) / 1_000_000
              + " ms after the remount");
      assertThat(store.tryResumeWrites()).isTrue();
      assertThat(store.writesRefused()).isNull();
      assertThatCode(() -> engine.upsert(batch(rnd, next + 2))).doesNotThrowAnyException();
      assertAcked(engine, acked);
      assertThat(store.verify()).isEmpty();
    }
  }

  private static void assertAcked(Engine engine, int acked) {
    for (int r = 0; r < acked; r++) {
      for (int i = 0; i < 10; i++) {
        assertThat(
                engine.reader().getRecord(Identity.of("person", "crm", "r" + r + "-" + i)).live())
            .as("acknowledged request %d", r)
            .isTrue();
      }
    }
    for (int i = 0; i < 10; i++) {
      Identity failed = Identity.of("person", "crm", "r" + acked + "-" + i);
      try {
        assertThat(engine.reader().getRecord(failed).live()).as("failed request").isFalse();
      } catch (NotFoundException expected) {
        // absent, as it must be
      }
    }
  }
}
