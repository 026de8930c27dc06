package io.tempora.persistence;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/** A {@link HomeDirectory} in memory, for in-memory shards and tests. Thread-safe. */
public final class InMemoryHomeDirectory implements HomeDirectory {
  private final Map<ByteBuffer, Integer> rows = new HashMap<>();
  private final Map<String, byte[]> meta = new HashMap<>();

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
  public synchronized byte[] meta(String name) {
    byte[] v = meta.get(name);
    return v == null ? null : v.clone();
  }

  @Override
  public synchronized void putMeta(String name, byte[] value) {
    meta.put(name, value.clone());
  }

  @Override
  public void close() {}
}
