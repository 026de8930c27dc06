package io.tempora.persistence.rocks;

import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Opens Rocks stores in fresh directories under a root and closes and deletes them all. */
final class TestStores implements AutoCloseable {
  private final Path root;
  private final List<RocksShardStore> open = new ArrayList<>();
  private int next;

  TestStores(Path root) {
    this.root = root;
  }

  /** Small caches, async durability: many stores, no fsync cost. */
  static StorageConfig fastConfig() {
    return StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.ASYNC);
  }

  synchronized RocksShardStore open() {
    return open(fastConfig());
  }

  synchronized RocksShardStore open(StorageConfig config) {
    Path dir = root.resolve("store-" + next++);
    RocksShardStore s = RocksShardStore.open(dir, config);
    open.add(s);
    return s;
  }

  /** Closes every store opened so far and deletes their directories. */
  @Override
  public synchronized void close() {
    for (RocksShardStore s : open) {
      s.close();
    }
    open.clear();
    if (Files.exists(root)) {
      try (Stream<Path> walk = Files.walk(root)) {
        walk.sorted(Comparator.reverseOrder())
            .filter(p -> !p.equals(root))
            .forEach(
                p -> {
                  try {
                    Files.delete(p);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                });
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
