package io.tempora.persistence.rocks;

import io.tempora.engine.store.StoreException;
import io.tempora.persistence.CheckpointInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.rocksdb.Checkpoint;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints of a shard store (STORAGE.md §6.1) through RocksDB's Checkpoint API: {@link #create}
 * flushes, pauses the writer for the Checkpoint call into {@code checkpoints/<tx>-<utc>.tmp/db}
 * (SST files hard-linked), adds {@code ACKED} and a {@code CHECKPOINT} JSON file, fsyncs and
 * renames; {@link #restore} copies one into an empty data dir that {@link RocksShardStore#open}
 * then opens. Static methods, thread-safe as far as the store is; callers serialise {@link #create}
 * per store (the scheduler and the admin RPC may share one lock).
 */
public final class ShardCheckpoints {
  private static final Logger LOG = LoggerFactory.getLogger(ShardCheckpoints.class);

  /** Sub-directory of the data dir holding checkpoints. */
  public static final String DIR = "checkpoints";

  /** Marker file of a checkpoint (JSON: tx, wseq, utc, shard, format). */
  public static final String MARKER = "CHECKPOINT";

  private static final String TMP = ".tmp";
  private static final DateTimeFormatter UTC =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private ShardCheckpoints() {}

  /**
   * Takes a checkpoint of {@code store} into {@code <data-dir>/checkpoints/<tx>-<utc>}. Every write
   * acknowledged before the call is in it.
   *
   * @throws StoreException if RocksDB fails, or the directory exists already (two checkpoints in
   *     one second at the same tx)
   */
  public static CheckpointInfo create(RocksShardStore store, Clock clock) {
    Instant utc = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Path root = store.dataDir().resolve(DIR);
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new StoreException("checkpoint: create " + root + ": " + e.getMessage(), e);
    }
    WalSyncer.Mark mark = store.whilePaused(m -> snapshotInto(store, root, m, utc));
    Path tmp = root.resolve(name(mark.tx(), utc) + TMP);
    Path done = root.resolve(name(mark.tx(), utc));
    try {
      new AckedFile(store.config().shardId(), mark.wseq(), mark.tx()).write(tmp);
      writeMarker(tmp, store.config().shardId(), mark, utc);
      fsyncTree(tmp);
      Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
      fsync(root);
    } catch (IOException | UncheckedIOException e) {
      throw new StoreException("checkpoint: finish " + done + ": " + e.getMessage(), e);
    }
    LOG.info("checkpoint {} (tx {}, wseq {})", done, mark.tx(), mark.wseq());
    return new CheckpointInfo(done, mark.tx(), mark.wseq(), utc);
  }

  private static WalSyncer.Mark snapshotInto(
      RocksShardStore store, Path root, WalSyncer.Mark mark, Instant utc) {
    Path tmp = root.resolve(name(mark.tx(), utc) + TMP);
    try (Checkpoint cp = Checkpoint.create(store.rocks().db())) {
      Files.createDirectory(tmp);
      cp.createCheckpoint(tmp.resolve("db").toString());
      return mark;
    } catch (RocksDBException | IOException e) {
      throw new StoreException("checkpoint into " + tmp + ": " + e.getMessage(), e);
    }
  }

  static String name(long tx, Instant utc) {
    return String.format("%020d-%s", tx, UTC.format(utc));
  }

  private static void writeMarker(Path dir, int shard, WalSyncer.Mark mark, Instant utc)
      throws IOException {
    String json =
        String.format(
            "{\"tx\": %d, \"wseq\": %d, \"utc\": \"%s\", \"shard\": %d, \"format\": %d}%n",
            mark.tx(), mark.wseq(), utc, shard, RocksShardStore.FORMAT_VERSION);
    Files.writeString(dir.resolve(MARKER), json, StandardCharsets.UTF_8);
  }

  /** Finished checkpoints of {@code dataDir}, oldest first (names sort by tx, then time). */
  public static List<Path> list(Path dataDir) {
    Path root = dataDir.resolve(DIR);
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> !p.getFileName().toString().endsWith(TMP)).sorted().toList();
    } catch (IOException e) {
      throw new StoreException("list " + root + ": " + e.getMessage(), e);
    }
  }

  /** Deletes all but the newest {@code retain} checkpoints; returns those deleted. */
  public static List<Path> prune(Path dataDir, int retain) {
    List<Path> all = list(dataDir);
    List<Path> old = all.subList(0, Math.max(0, all.size() - retain));
    old.forEach(ShardCheckpoints::deleteTree);
    return List.copyOf(old);
  }

  /** Deletes {@code .tmp} directories left by a checkpoint that did not finish (call at start). */
  public static void removeStale(Path dataDir) {
    Path root = dataDir.resolve(DIR);
    if (!Files.isDirectory(root)) {
      return;
    }
    try (Stream<Path> s = Files.list(root)) {
      s.filter(p -> p.getFileName().toString().endsWith(TMP)).forEach(ShardCheckpoints::deleteTree);
    } catch (IOException e) {
      throw new StoreException("list " + root + ": " + e.getMessage(), e);
    }
  }

  /**
   * Copies a checkpoint into {@code target}, a new data dir, without its {@code CHECKPOINT} marker;
   * open it with {@link RocksShardStore#open} and the same shard id.
   *
   * @throws IllegalArgumentException if {@code checkpoint} is not a finished checkpoint or {@code
   *     target} exists and is not empty
   */
  public static void restore(Path checkpoint, Path target) {
    if (!Files.isRegularFile(checkpoint.resolve(MARKER))
        || !Files.isDirectory(checkpoint.resolve("db"))) {
      throw new IllegalArgumentException(
          checkpoint + " is not a finished checkpoint (no " + MARKER + " or db/)");
    }
    try {
      if (Files.exists(target)) {
        try (Stream<Path> s = Files.list(target)) {
          if (s.findAny().isPresent()) {
            throw new IllegalArgumentException(
                "restore target " + target + " is not empty; refusing to overwrite it");
          }
        }
      }
      Files.createDirectories(target);
      copyTree(checkpoint.resolve("db"), target.resolve("db"));
      Files.copy(checkpoint.resolve(AckedFile.NAME), target.resolve(AckedFile.NAME));
      fsyncTree(target);
    } catch (IOException e) {
      throw new StoreException("restore " + checkpoint + " into " + target + ": " + e, e);
    }
    LOG.info("restored checkpoint {} into {}", checkpoint, target);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.sorted().toList()) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest);
        }
      }
    }
  }

  private static void fsyncTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        fsync(p);
      }
    }
  }

  private static void fsync(Path p) throws IOException {
    StandardOpenOption mode =
        Files.isDirectory(p) ? StandardOpenOption.READ : StandardOpenOption.WRITE;
    try (FileChannel ch = FileChannel.open(p, mode)) {
      ch.force(true);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new StoreException("delete " + root + ": " + e.getMessage(), e);
    }
  }
}
