package io.tempora.persistence;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/** A {@link HomeDirectory} in memory, for in-memory shards and tests. Thread-safe. */
public final class InMemoryHomeDirectory implements HomeDirectory {
  private final Map<ByteBuffer, Integer> rows = new HashMap<>();

  @Override
  public synchronized int[] claim(byte[][] keys, int[] proposed) {
    int[] out = new int[keys.length];
    for (int i = 0; i < keys.length; i++) {
      ByteBuffer k = ByteBuffer.wrap(keys[i].clone());
      Integer slot = rows.get(k);
      if (slot == null && proposed[i] != ABSENT) {
        rows.put(k, proposed[i]);
        slot = proposed[i];
      }
      out[i] = slot == null ? ABSENT : slot;
    }
    return out;
  }

  @Override
  public synchronized int compareAndSet(byte[] key, int expected, int next) {
    ByteBuffer k = ByteBuffer.wrap(key.clone());
    Integer slot = rows.get(k);
    if (slot == null) {
      return ABSENT;
    }
    if (slot == expected) {
      rows.put(k, next);
      return next;
    }
    return slot;
  }

  @Override
  public void close() {}
}
