package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * STORAGE.md §7 and ST-T10: outside {@link RocksStore}, the owner of every long-lived native
 * object, each short-lived RocksDB object (iterators, write batches, snapshots, per-call read
 * options, slices, flush/compaction options, checkpoints) is created in a try-with-resources header
 * or by a class that owns and closes it. The owners are listed here with the method that releases
 * the object; a new creation anywhere else fails this test.
 */
class NativeResourceOwnershipTest {
  private static final Pattern CREATION =
      Pattern.compile(
          "new\\s+(?:org\\.rocksdb\\.)?(WriteBatch|WriteBatchWithIndex|ReadOptions|Slice|DirectSlice"
              + "|FlushOptions|CompactRangeOptions|Checkpoint|RocksIterator|Snapshot)\\s*\\("
              + "|\\.newIterator(?:WithBase)?\\s*\\(|\\.getSnapshot\\s*\\(\\)|Checkpoint\\.create\\s*\\("
              + "|\\brocks\\.snapshot\\s*\\(\\)");

  /**
   * Creations outside try-with-resources, each owned by a closeable class: file name and the exact
   * source line (trimmed) mapped to the owner and how it releases the object.
   */
  private static final Map<String, String> OWNED =
      Map.of(
          "RocksShardStore.java:    Snapshot snap = rocks.snapshot();",
          "SnapshotSource.close() releases it when the view closes",
          "RocksShardStore.java:      this.options = new org.rocksdb.ReadOptions().setSnapshot(snapshot);",
          "SnapshotSource.close() closes it when the view closes",
          "RocksShardStore.java:    private final WriteBatchWithIndex batch = new WriteBatchWithIndex(true);",
          "BatchSource.close() closes it when the transaction closes",
          "DurableViews.java:    Snapshot snapshot = rocks.snapshot();",
          "DurableViews.Point.release() releases it after the publisher and the last view let go");

  @Test
  void sources_outsideRocksStore_createNativeObjectsOnlyInTryWithResourcesOrOwners()
      throws IOException {
    List<String> unowned = new ArrayList<>();
    List<String> seenOwned = new ArrayList<>();
    Path root = Path.of(System.getProperty("user.dir"), "src", "main", "java");
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        if (f.getFileName().toString().equals("RocksStore.java")) {
          continue;
        }
        scan(f, unowned, seenOwned);
      }
    }

    assertThat(unowned).as("native objects created outside try-with-resources").isEmpty();
    assertThat(seenOwned)
        .as("every listed owner still exists (remove stale entries)")
        .containsExactlyInAnyOrderElementsOf(OWNED.keySet());
  }

  private static void scan(Path file, List<String> unowned, List<String> seenOwned)
      throws IOException {
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = CREATION.matcher(lines.get(i));
      if (!m.find()
          || lines.get(i).trim().startsWith("*")
          || lines.get(i).trim().startsWith("//")) {
        continue;
      }
      String key = file.getFileName() + ":" + lines.get(i).stripTrailing();
      if (OWNED.containsKey(key)) {
        seenOwned.add(key);
      } else if (!inTryHeader(lines, i)) {
        unowned.add(file.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
      }
    }
  }

  /** True if line {@code i} is inside a {@code try (...)} resource list. */
  private static boolean inTryHeader(List<String> lines, int i) {
    for (int j = i; j >= Math.max(0, i - 3); j--) {
      String l = lines.get(j);
      if (l.contains("try (")) {
        return true;
      }
      if (j < i && (l.contains("{") || l.contains("}"))) {
        return false;
      }
    }
    return false;
  }
}
