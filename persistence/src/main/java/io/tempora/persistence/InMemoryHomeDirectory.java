package io.tempora.persistence;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A {@link HomeDirectory} in memory, for in-memory shards and tests. Thread-safe. */
public final class InMemoryHomeDirectory implements HomeDirectory {
  private final TreeMap<byte[], byte[]> rows = new TreeMap<>(Arrays::compareUnsigned);
  private final Map<String, byte[]> meta = new java.util.HashMap<>();
  private long changes;

  @Override
  public synchronized int[] claim(byte[][] keys, int[] proposed) {
    int[] out = new int[keys.length];
    for (int i = 0; i < keys.length; i++) {
      byte[] v = rows.get(keys[i]);
      if (v == null && proposed[i] != ABSENT) {
        v = ByteBuffer.allocate(4).putInt(proposed[i]).array();
        rows.put(keys[i].clone(), v);
      }
      out[i] = v == null ? ABSENT : ByteBuffer.wrap(v).getInt();
    }
    return out;
  }

  @Override
  public synchronized int compareAndSet(byte[] key, int expected, int next) {
    byte[] v = rows.get(key);
    if (v == null) {
      return ABSENT;
    }
    int slot = ByteBuffer.wrap(v).getInt();
    if (slot == expected) {
      changes++;
      rows.put(key.clone(), ByteBuffer.allocate(4).putInt(next).array());
      return next;
    }
    return slot;
  }

  @Override
  public synchronized long changes() {
    return changes;
  }

  @Override
  public synchronized byte[] get(byte[] key) {
    byte[] v = rows.get(key);
    return v == null ? null : v.clone();
  }

  @Override
  public synchronized void write(List<byte[]> deletes, List<byte[]> keys, List<byte[]> values) {
    if (HomeDirectory.touchesHomes(deletes, keys)) {
      changes++;
    }
    deletes.forEach(rows::remove);
    for (int i = 0; i < keys.size(); i++) {
      rows.put(keys.get(i).clone(), values.get(i).clone());
    }
  }

  @Override
  public synchronized List<byte[][]> scan(byte[] from, byte[] prefix, int limit) {
    List<byte[][]> out = new ArrayList<>();
    byte[] start = Arrays.compareUnsigned(from, prefix) < 0 ? prefix : from;
    for (Map.Entry<byte[], byte[]> e : rows.tailMap(start, true).entrySet()) {
      if (out.size() >= limit || !startsWith(e.getKey(), prefix)) {
        break;
      }
      out.add(new byte[][] {e.getKey().clone(), e.getValue().clone()});
    }
    return out;
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
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
