package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.model.Identity;
import io.tempora.engine.store.StoreException;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.StorageConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STORAGE.md ST-T4: a child JVM commits {@link #ACKED_WRITES} acknowledged transactions, then
 * {@link #TAIL_WRITES} more, and is halted without closing (a process crash; the WAL holds
 * everything). Each test copies that data dir, sets {@code ACKED} to the first {@link
 * #ACKED_WRITES} (so the later writes play the unacknowledged tail a crash can tear) and damages
 * the WAL. Damage after the acknowledged part opens with every acknowledgement and a prefix of the
 * tail (point-in-time recovery); damage that loses acknowledged writes is refused naming both
 * numbers unless accept-data-loss is set.
 */
class WalFaultIT {
  private static final int ACKED_WRITES = 60;
  private static final int TAIL_WRITES = 60;
  // Default sizes: with the small test caches the write buffer manager flushes (and rolls the WAL)
  // almost at once, and this test needs the whole history in one WAL.
  // WalWriterMain writes bare identity rows (no records): the start-up sample would refuse them.
  private static final StorageConfig CONFIG = StorageConfig.defaults(0).withStartupSample(0);

  @TempDir static Path shared;
  @TempDir Path dir;

  private static Path crashed;
  private static String walName;
  private static long ackedEnd;

  @BeforeAll
  static void crashAChild() throws Exception {
    crashed = shared.resolve("crashed");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                WalWriterMain.class.getName(),
                crashed.toString(),
                Integer.toString(ACKED_WRITES),
                Integer.toString(TAIL_WRITES))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String[] f = out.readLine().split(" ");
      walName = f[1];
      ackedEnd = Long.parseLong(f[2]);
    }
    assertThat(p.waitFor()).isZero();
    assertThat(Files.size(crashed.resolve("db").resolve(walName))).isGreaterThan(ackedEnd);
  }

  /** A copy of the crashed dir whose ACKED says the first ACKED_WRITES were acknowledged. */
  private Path copy() throws IOException {
    Path target = dir.resolve("data");
    try (Stream<Path> walk = Files.walk(crashed)) {
      for (Path p : walk.sorted(Comparator.naturalOrder()).toList()) {
        Path to = target.resolve(crashed.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    new AckedFile(0, ACKED_WRITES, 0).write(target);
    return target;
  }

  private static Path wal(Path data) {
    return data.resolve("db").resolve(walName);
  }

  private static void truncate(Path file, long size) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size);
    }
  }

  /** Opens; asserts every acknowledged write is present and the tail is a prefix; returns it. */
  private static int opensWithEveryAck(Path data) {
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG);
        StoreView v = store.view()) {
      for (int i = 1; i <= ACKED_WRITES; i++) {
        assertThat(v.recordId(id(i))).as("acknowledged write %d", i).hasValue(i);
      }
      int last = ACKED_WRITES;
      while (last < ACKED_WRITES + TAIL_WRITES && v.recordId(id(last + 1)).isPresent()) {
        last++;
      }
      for (int i = last + 1; i <= ACKED_WRITES + TAIL_WRITES; i++) {
        assertThat(v.recordId(id(i))).as("write %d after the gap at %d", i, last + 1).isEmpty();
      }
      return last;
    }
  }

  private static Identity id(int i) {
    return Identity.of("person", "crm", "u" + i);
  }

  @Test
  @DisplayName("ST-T4: WAL cut at a random offset in the tail opens with every acknowledgement")
  void open_walCutAtRandomOffset_keepsEveryAckAndAPrefix() throws IOException {
    Random rnd = new Random();
    for (int round = 0; round < 3; round++) {
      Path data = copy();
      long size = Files.size(wal(data));
      long cut = ackedEnd + 1 + (long) (rnd.nextDouble() * (size - ackedEnd - 2));
      truncate(wal(data), cut);
      assertThat(opensWithEveryAck(data)).as("cut at %d of %d", cut, size).isLessThan(120);
      deleteTree(data);
    }
  }

  @Test
  @DisplayName("ST-T4: WAL cut on the acknowledged record boundary opens with exactly the acks")
  void open_walCutOnRecordBoundary_keepsExactlyTheAcks() throws IOException {
    Path data = copy();
    truncate(wal(data), ackedEnd);
    assertThat(opensWithEveryAck(data)).isEqualTo(ACKED_WRITES);
  }

  @Test
  @DisplayName("ST-T4: garbage appended to the WAL opens with every write")
  void open_garbageAppendedToWal_keepsEveryWrite() throws IOException {
    Path data = copy();
    byte[] junk = new byte[5000];
    new Random(7).nextBytes(junk);
    Files.write(wal(data), junk, StandardOpenOption.APPEND);
    assertThat(opensWithEveryAck(data)).isEqualTo(ACKED_WRITES + TAIL_WRITES);
  }

  @Test
  @DisplayName("ST-T4: flipped tail bytes open with every acknowledgement and a prefix")
  void open_walTailBytesFlipped_keepsEveryAck() throws IOException {
    Path data = copy();
    long size = Files.size(wal(data));
    try (RandomAccessFile f = new RandomAccessFile(wal(data).toFile(), "rw")) {
      for (long pos = size - 40; pos < size; pos += 7) {
        f.seek(pos);
        int b = f.read();
        f.seek(pos);
        f.write(b ^ 0xFF);
      }
    }
    assertThat(opensWithEveryAck(data)).isLessThan(ACKED_WRITES + TAIL_WRITES);
  }

  @Test
  @DisplayName("ST-T4: a wiped WAL after acknowledged writes is refused naming both numbers")
  void open_walWiped_refusesUnlessDataLossAccepted() throws IOException {
    Path data = copy();
    truncate(wal(data), 0);
    assertThatThrownBy(() -> RocksShardStore.open(data, CONFIG))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("data loss suspected")
        .hasMessageContaining("last_wseq 0")
        .hasMessageContaining("wseq " + ACKED_WRITES);
    RocksShardStore.open(data, CONFIG.withAcceptDataLoss(true)).close();
    RocksShardStore.open(data, CONFIG).close();
  }

  @Test
  @DisplayName("ST-T4: a damaged middle record holding acknowledged data is refused")
  void open_damagedMiddleRecord_refusesNamingBothNumbers() throws IOException {
    Path data = copy();
    try (RandomAccessFile f = new RandomAccessFile(wal(data).toFile(), "rw")) {
      long pos = ackedEnd / 2;
      f.seek(pos);
      int b = f.read();
      f.seek(pos);
      f.write(b ^ 0x5A);
    }
    assertThatThrownBy(() -> RocksShardStore.open(data, CONFIG))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("data loss suspected")
        .hasMessageMatching("(?s).*database last_wseq \\d+ is below .*ACKED wseq 60.*");
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG.withAcceptDataLoss(true));
        StoreView v = store.view()) {
      assertThat(v.recordId(id(ACKED_WRITES))).isEmpty();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
