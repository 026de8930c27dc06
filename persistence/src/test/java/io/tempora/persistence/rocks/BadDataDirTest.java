package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.store.StoreException;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.VerifyReport;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;

/**
 * Bad input and faults of issue 3: a newer format version, a foreign or non-directory data dir and
 * a corrupted SST each give a clear error naming the problem.
 */
class BadDataDirTest {
  private static final StorageConfig CONFIG = StorageConfig.defaults(0).withSmallCaches();

  @TempDir Path dir;

  @Test
  void open_dataDirIsAFile_refusesNamingIt() throws IOException {
    Path file = Files.writeString(dir.resolve("data"), "x");
    assertThatThrownBy(() -> RocksShardStore.open(file, CONFIG))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a directory");
  }

  @Test
  void open_dbHoldsForeignFiles_refusesAndLeavesThem() throws IOException {
    Files.createDirectories(dir.resolve("db"));
    Files.writeString(dir.resolve("db").resolve("notes.txt"), "mine");
    assertThatThrownBy(() -> RocksShardStore.open(dir, CONFIG))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("not a Tempora data dir")
        .hasMessageContaining("no RocksDB");
    try (Stream<Path> s = Files.list(dir.resolve("db"))) {
      assertThat(s.toList()).containsExactly(dir.resolve("db").resolve("notes.txt"));
    }
  }

  @Test
  void open_foreignRocksDb_refusesNamingTheMissingColumnFamily() throws Exception {
    try (Options o = new Options().setCreateIfMissing(true);
        RocksDB db = RocksDB.open(o, dir.resolve("db").toString())) {
      db.put("k".getBytes(), "v".getBytes());
    }
    assertThatThrownBy(() -> RocksShardStore.open(dir, CONFIG))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("not a Tempora data dir")
        .hasMessageContaining("'meta'");
    assertThatThrownBy(() -> DataDirVerifier.verify(dir)).hasMessageContaining("'meta'");
  }

  @Test
  void verify_newerFormatVersion_cannotRunNamingBoth() throws Exception {
    RocksShardStore.open(dir, CONFIG).close();
    try (RocksStore rocks = RocksStore.open(dir, CONFIG);
        WriteBatch b = new WriteBatch()) {
      b.put(rocks.handle(Cf.META), RocksShardStore.FORMAT, RocksShardStore.longValue(2));
      rocks.writeSync(b);
    }
    assertThatThrownBy(() -> DataDirVerifier.verify(dir))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("format version 2")
        .hasMessageContaining("format version 1");
    assertThatThrownBy(() -> RocksShardStore.open(dir, CONFIG))
        .hasMessageContaining("format version 2");
  }

  @Test
  void corruptedSst_verifyReportsChecksumNamingTheFile() throws Exception {
    Path sst;
    try (RocksShardStore store = RocksShardStore.open(dir, CONFIG)) {
      Engine e = new Engine(store, EngineConfig.defaults());
      for (int i = 0; i < 200; i++) {
        e.upsert(
            List.of(
                new RecordInput(
                    Identity.of("person", "crm", "u" + i),
                    List.of(Descriptor.always("name", "name number " + i)))));
      }
      // One compacted SST of `records`, damaged in its first third (data blocks): other files may
      // be small enough that the flipped range holds a block RocksDB reads at open.
      store.rocks().flushAll();
      store.rocks().db().compactRange(store.rocks().handle(Cf.RECORDS));
    }
    // Chosen once the store is closed: until then a background compaction may still replace the
    // file (it did in about a third of the runs with 1 MiB memtables), and the damage would go to a
    // file no longer live.
    try (RocksStore closed = RocksStore.openReadOnly(dir, CONFIG)) {
      sst = largestSst(dir.resolve("db"), closed.db().getLiveFilesMetaData(), "records");
    }
    try (RandomAccessFile f = new RandomAccessFile(sst.toFile(), "rw")) {
      for (long pos = 100; pos < Math.min(f.length() / 3, 2000); pos += 50) {
        f.seek(pos);
        int b = f.read();
        f.seek(pos);
        f.write(b ^ 0xFF);
      }
    }
    VerifyReport report = DataDirVerifier.verify(dir);
    assertThat(report.problems()).containsKey("SST checksum mismatch");
    assertThat(report.problems().get("SST checksum mismatch").examples().get(0))
        .contains(sst.getFileName().toString());
    assertThat(report.exitCode()).isEqualTo(VerifyReport.EXIT_PROBLEMS);
  }

  private static Path largestSst(Path db, List<LiveFileMetaData> files, String cf) {
    return files.stream()
        .filter(f -> new String(f.columnFamilyName(), StandardCharsets.US_ASCII).equals(cf))
        .max(Comparator.comparingLong(LiveFileMetaData::size))
        .map(f -> db.resolve(f.fileName().replaceFirst("^/", "")))
        .orElseThrow();
  }
}
