package io.tempora.persistence.rocks;

import io.tempora.engine.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The raw-RocksDB baseline of the {@code load} benchmark: one plain database, one key per record,
 * one {@code WriteBatch} per request, no column families, indexes or transactions. It says how fast
 * the disk and RocksDB alone take the same serialized records with the same sync setting, so that
 * Tempora's figures can be read as a ratio. Thread-safe (RocksDB is); the opener closes it; after
 * close every call throws {@link IllegalStateException}.
 */
public final class RawRocksBaseline implements AutoCloseable {
  static {
    NativeLibrary.load();
  }

  private final Options options;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private volatile boolean closed;

  private RawRocksBaseline(Options options, WriteOptions writeOptions, RocksDB db) {
    this.options = options;
    this.writeOptions = writeOptions;
    this.db = db;
  }

  /**
   * Opens (creating if missing) a plain database in {@code dir}.
   *
   * @param sync whether every write fsyncs the WAL before it returns (Tempora's {@code immediate})
   * @throws StoreException if RocksDB cannot open it
   */
  public static RawRocksBaseline open(Path dir, boolean sync) {
    Options options = new Options().setCreateIfMissing(true);
    WriteOptions writeOptions = new WriteOptions().setSync(sync);
    try {
      Files.createDirectories(dir);
      return new RawRocksBaseline(options, writeOptions, RocksDB.open(options, dir.toString()));
    } catch (RocksDBException | IOException e) {
      writeOptions.close();
      options.close();
      throw new StoreException("open baseline database " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes one request atomically: puts {@code values[i]} under {@code keys[i]} and deletes {@code
   * deletes}, in one write.
   *
   * @throws StoreException if RocksDB fails
   */
  public void write(List<byte[]> keys, List<byte[]> values, List<byte[]> deletes) {
    if (closed) {
      throw new IllegalStateException("baseline database is closed");
    }
    if (keys.size() != values.size()) {
      throw new IllegalArgumentException(
          keys.size() + " keys but " + values.size() + " values: they must pair up");
    }
    try (WriteBatch batch = new WriteBatch()) {
      for (int i = 0; i < keys.size(); i++) {
        batch.put(keys.get(i), values.get(i));
      }
      for (byte[] key : deletes) {
        batch.delete(key);
      }
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new StoreException("baseline write: " + e.getMessage(), e);
    }
  }

  /** Closes the database and its options, in reverse order of creation. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    db.close();
    writeOptions.close();
    options.close();
  }
}
