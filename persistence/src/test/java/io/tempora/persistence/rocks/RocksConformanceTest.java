package io.tempora.persistence.rocks;

import io.tempora.engine.conformance.ConformanceProperties;
import io.tempora.engine.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterTry;

/**
 * The engine's conformance properties on RocksDB stores: a tenth of the tries (at least 5), each
 * store in a fresh directory, every store closed and deleted after its try.
 */
class RocksConformanceTest extends ConformanceProperties {
  private static final Path ROOT = createRoot();
  private final TestStores stores = new TestStores(ROOT);

  private static Path createRoot() {
    try {
      return Files.createTempDirectory("tempora-conformance-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected int budget(int tries) {
    return Math.max(5, tries / 10);
  }

  @Override
  protected Supplier<Store> stores() {
    return stores::open;
  }

  @AfterTry
  void closeStores() {
    stores.close();
  }

  @AfterContainer
  static void deleteRoot() throws IOException {
    Files.deleteIfExists(ROOT);
  }
}
