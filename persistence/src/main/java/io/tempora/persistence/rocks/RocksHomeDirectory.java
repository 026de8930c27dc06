package io.tempora.persistence.rocks;

import io.tempora.engine.store.StoreException;
import io.tempora.persistence.HomeDirectory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The identity directory on its own small RocksDB ({@code <data-dir>/directory}), separate from the
 * shard store so that it never takes part in the engine's transactions. Values are the home slot as
 * 4 bytes big-endian. Every write is synced (WAL fsync) before it returns. Writes are serialised on
 * this object, so put-if-absent and compare-and-set are atomic. Named meta values (lease, fencing
 * epoch, change-feed cursor) live under keys starting with 0xFF, which no identity key can take.
 * The opener closes it.
 */
public final class RocksHomeDirectory implements HomeDirectory {
  private final RocksDB db;
  private final Options options;
  private final WriteOptions sync;
  private long changes;

  private RocksHomeDirectory(RocksDB db, Options options, WriteOptions sync) {
    this.db = db;
    this.options = options;
    this.sync = sync;
  }

  /** Opens (creating if needed) the directory under {@code <dataDir>/directory}. */
  public static RocksHomeDirectory open(Path dataDir) {
    NativeLibrary.load();
    Path dir = dataDir.resolve("directory");
    Options options = new Options().setCreateIfMissing(true);
    try {
      Files.createDirectories(dir);
      return new RocksHomeDirectory(
          RocksDB.open(options, dir.toString()), options, new WriteOptions().setSync(true));
    } catch (RocksDBException | java.io.IOException e) {
      options.close();
      throw new StoreException("directory " + dir + ": cannot open: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized int[] claim(byte[][] keys, int[] proposed) {
    int[] out = new int[keys.length];
    try (WriteBatch batch = new WriteBatch()) {
      java.util.Map<ByteBuffer, Integer> pending = new java.util.HashMap<>();
      for (int i = 0; i < keys.length; i++) {
        Integer claimed = pending.get(ByteBuffer.wrap(keys[i]));
        byte[] v = claimed == null ? db.get(keys[i]) : null;
        if (claimed != null) {
          out[i] = claimed;
        } else if (v != null) {
          out[i] = ByteBuffer.wrap(v).getInt();
        } else if (proposed[i] != ABSENT) {
          batch.put(keys[i], ByteBuffer.allocate(4).putInt(proposed[i]).array());
          pending.put(ByteBuffer.wrap(keys[i]), proposed[i]);
          out[i] = proposed[i];
        } else {
          out[i] = ABSENT;
        }
      }
      if (batch.count() > 0) {
        db.write(sync, batch);
      }
      return out;
    } catch (RocksDBException e) {
      throw new StoreException("directory: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized int compareAndSet(byte[] key, int expected, int next) {
    try {
      byte[] v = db.get(key);
      if (v == null) {
        return ABSENT;
      }
      int slot = ByteBuffer.wrap(v).getInt();
      if (slot != expected) {
        return slot;
      }
      changes++;
      db.put(sync, key, ByteBuffer.allocate(4).putInt(next).array());
      return next;
    } catch (RocksDBException e) {
      throw new StoreException("directory: " + e.getMessage(), e);
    }
  }

  /**
   * Meta keys start with 0xFF: an identity key starts with the high byte of a UTF-8 length, which
   * would make the entity type longer than 4 GiB.
   */
  private static byte[] metaKey(String name) {
    byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] k = new byte[n.length + 1];
    k[0] = (byte) 0xFF;
    System.arraycopy(n, 0, k, 1, n.length);
    return k;
  }

  @Override
  public synchronized byte[] meta(String name) {
    try {
      return db.get(metaKey(name));
    } catch (RocksDBException e) {
      throw new StoreException("directory: meta " + name + ": read: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void putMeta(String name, byte[] value) {
    try {
      db.put(sync, metaKey(name), value);
    } catch (RocksDBException e) {
      throw new StoreException("directory: meta " + name + ": write: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized long changes() {
    return changes;
  }

  @Override
  public synchronized byte[] get(byte[] key) {
    try {
      return db.get(key);
    } catch (RocksDBException e) {
      throw new StoreException("directory: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void write(List<byte[]> deletes, List<byte[]> keys, List<byte[]> values) {
    if (HomeDirectory.touchesHomes(deletes, keys)) {
      changes++;
    }
    try (WriteBatch batch = new WriteBatch()) {
      for (byte[] k : deletes) {
        batch.delete(k);
      }
      for (int i = 0; i < keys.size(); i++) {
        batch.put(keys.get(i), values.get(i));
      }
      if (batch.count() > 0) {
        db.write(sync, batch);
      }
    } catch (RocksDBException e) {
      throw new StoreException("directory: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized List<byte[][]> scan(byte[] from, byte[] prefix, int limit) {
    List<byte[][]> out = new ArrayList<>();
    byte[] start = Arrays.compareUnsigned(from, prefix) < 0 ? prefix : from;
    try (RocksIterator it = db.newIterator()) {
      for (it.seek(start); it.isValid() && out.size() < limit; it.next()) {
        byte[] k = it.key();
        if (k.length < prefix.length
            || !Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
          break;
        }
        out.add(new byte[][] {k, it.value()});
      }
      it.status();
    } catch (RocksDBException e) {
      throw new StoreException("directory: " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public synchronized void close() {
    db.close();
    sync.close();
    options.close();
  }
}
