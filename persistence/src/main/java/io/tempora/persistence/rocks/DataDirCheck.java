package io.tempora.persistence.rocks;

import io.tempora.engine.store.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * Refuses a data dir that is not ours before RocksDB touches it (STORAGE.md "bad input"): a regular
 * file, a {@code db/} holding files but no RocksDB, or a RocksDB without Tempora's {@code meta}
 * column family. Without this, opening with {@code create_if_missing} would add a database or
 * column families to someone else's directory.
 */
final class DataDirCheck {
  private DataDirCheck() {}

  static void requireTemporaOrEmpty(Path dataDir) {
    if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
      throw new StoreException("data dir " + dataDir + " is not a directory");
    }
    Path db = dataDir.resolve("db");
    if (!Files.isDirectory(db) || isEmpty(db)) {
      return;
    }
    if (!Files.isRegularFile(db.resolve("CURRENT"))) {
      throw new StoreException(
          "data dir "
              + dataDir
              + " is not a Tempora data dir: "
              + db
              + " holds files but no RocksDB");
    }
    List<String> cfs = columnFamilies(db);
    if (!cfs.contains(Cf.META.cfName())) {
      throw new StoreException(
          "data dir "
              + dataDir
              + " is not a Tempora data dir: its RocksDB has no '"
              + Cf.META.cfName()
              + "' column family (has "
              + cfs
              + ")");
    }
  }

  private static boolean isEmpty(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      throw new StoreException("list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static List<String> columnFamilies(Path db) {
    try (Options o = new Options()) {
      return RocksDB.listColumnFamilies(o, db.toString()).stream()
          .map(b -> new String(b, StandardCharsets.UTF_8))
          .toList();
    } catch (RocksDBException e) {
      throw new StoreException("data dir " + db.getParent() + ": cannot read " + db + ": " + e, e);
    }
  }
}
