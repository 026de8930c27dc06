package io.tempora.persistence.rocks;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Child JVM of {@link WalFsyncStraceIT} (STORAGE.md ST-T2), run under strace: {@code writers}
 * threads each submit {@code requests} upserts in {@code immediate} mode, writing {@code B t k} to
 * a marker file before submitting and {@code A t k} after the acknowledgement (each one {@code
 * write} syscall, visible in the trace). Prints {@code DONE <requests> <walSyncs> <syncedCommits>
 * <groupWaits>} (the syncer's counters over the run) and exits.
 *
 * <p>Arguments: data dir, marker file, writers, requests per writer, {@code
 * storage.group_commit_max_wait_us}.
 */
public final class StraceWriterMain {
  private StraceWriterMain() {}

  public static void main(String[] args) throws Exception {
    int writers = Integer.parseInt(args[2]);
    int requests = Integer.parseInt(args[3]);
    // Default sizes: the small test caches make the write buffer manager flush (and fsync a new
    // WAL) every few writes, which would blur the count of group-commit fsyncs.
    StorageConfig config =
        StorageConfig.defaults(0)
            .withDurability(Durability.IMMEDIATE)
            .withGroupCommitMaxWait(Duration.ofNanos(Long.parseLong(args[4]) * 1000));
    try (RocksShardStore store = RocksShardStore.open(Path.of(args[0]), config);
        FileOutputStream markers = new FileOutputStream(args[1])) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      long syncs = store.walSyncCount();
      long commits = store.walSyncedCommits();
      long waits = store.groupCommitWaits();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < writers; t++) {
        int thread = t;
        threads.add(
            Thread.ofPlatform()
                .name("tempora-persistence-stracewriter-" + t)
                .start(() -> write(engine, markers, thread, requests)));
      }
      for (Thread t : threads) {
        t.join();
      }
      System.out.println(
          "DONE "
              + (long) writers * requests
              + " "
              + (store.walSyncCount() - syncs)
              + " "
              + (store.walSyncedCommits() - commits)
              + " "
              + (store.groupCommitWaits() - waits));
    }
  }

  private static void write(Engine engine, FileOutputStream markers, int t, int requests) {
    for (int k = 0; k < requests; k++) {
      mark(markers, "B " + t + " " + k + "\n");
      engine.upsert(
          List.of(
              new RecordInput(
                  Identity.of("person", "crm", "t" + t + "-" + k),
                  List.of(Descriptor.always("name", "n" + k)))));
      mark(markers, "A " + t + " " + k + "\n");
    }
  }

  private static void mark(FileOutputStream out, String line) {
    try {
      out.write(line.getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
