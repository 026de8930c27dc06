package io.tempora.engine.store;

/** The store contract on the in-memory store. */
class InMemoryStoreContractTest extends StoreContractTest {
  @Override
  protected Store newStore() {
    return new InMemoryStore();
  }
}
