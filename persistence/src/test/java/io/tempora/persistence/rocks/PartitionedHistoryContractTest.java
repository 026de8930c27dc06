package io.tempora.persistence.rocks;

import io.tempora.engine.store.Store;
import io.tempora.engine.store.StoreContractTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store contract on RocksDB with a clock that moves one day per reading and one-day history
 * partitions: nearly every transaction superseding a version writes it to a new partition, so every
 * history read of the contract crosses partitions.
 */
class PartitionedHistoryContractTest extends StoreContractTest {
  @TempDir Path dir;

  @Override
  protected Store newStore() {
    RocksShardStore s =
        RocksShardStore.open(dir, TestStores.fastConfig().withHistoryPartition(Duration.ofDays(1)));
    AtomicLong millis = new AtomicLong(1_700_000_000_000L);
    s.clock(() -> millis.addAndGet(86_400_000L));
    return s;
  }
}
