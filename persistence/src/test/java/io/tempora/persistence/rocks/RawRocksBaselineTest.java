package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class RawRocksBaselineTest {
  @TempDir Path dir;

  @Test
  void write_putsAndDeletes_leaveOneKeyPerLiveRecord() throws Exception {
    try (RawRocksBaseline db = RawRocksBaseline.open(dir, true)) {
      db.write(List.of(b("a"), b("b")), List.of(b("1"), b("2")), List.of());
      db.write(List.of(), List.of(), List.of(b("a")));
    }

    try (Options options = new Options();
        RocksDB db = RocksDB.openReadOnly(options, dir.toString())) {
      assertThat(db.get(b("a"))).isNull();
      assertThat(db.get(b("b"))).isEqualTo(b("2"));
    }
  }

  @Test
  void write_keysAndValuesDoNotPairUp_isRejected() {
    try (RawRocksBaseline db = RawRocksBaseline.open(dir, false)) {
      assertThatThrownBy(() -> db.write(List.of(b("a")), List.of(), List.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("1 keys but 0 values: they must pair up");
    }
  }

  @Test
  void write_afterClose_throwsIllegalState() {
    RawRocksBaseline db = RawRocksBaseline.open(dir, false);
    db.close();

    assertThatThrownBy(() -> db.write(List.of(), List.of(), List.of()))
        .isInstanceOf(IllegalStateException.class);
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
