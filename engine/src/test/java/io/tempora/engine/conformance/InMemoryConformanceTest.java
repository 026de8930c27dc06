package io.tempora.engine.conformance;

import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.store.Store;
import java.util.function.Supplier;

/** The conformance properties on the in-memory store. */
class InMemoryConformanceTest extends ConformanceProperties {
  @Override
  protected Supplier<Store> stores() {
    return InMemoryStore::new;
  }
}
