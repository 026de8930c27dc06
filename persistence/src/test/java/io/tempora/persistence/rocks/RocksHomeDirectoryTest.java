package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.persistence.HomeDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksHomeDirectoryTest {
  @TempDir Path dir;

  private static byte[] key(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void claim_absentThenPresent_keepsFirstClaimAcrossReopen() {
    try (RocksHomeDirectory d = RocksHomeDirectory.open(dir)) {
      int[] first = d.claim(new byte[][] {key("a"), key("b")}, new int[] {7, HomeDirectory.ABSENT});
      int[] second = d.claim(new byte[][] {key("a"), key("a")}, new int[] {9, 9});

      assertThat(first).containsExactly(7, HomeDirectory.ABSENT);
      assertThat(second).containsExactly(7, 7);
    }
    try (RocksHomeDirectory d = RocksHomeDirectory.open(dir)) {
      assertThat(d.claim(new byte[][] {key("a")}, new int[] {HomeDirectory.ABSENT}))
          .containsExactly(7);
    }
  }

  @Test
  void compareAndSet_expectedOrOther_changesOnlyOnMatch() {
    try (RocksHomeDirectory d = RocksHomeDirectory.open(dir)) {
      d.claim(new byte[][] {key("a")}, new int[] {7});

      int stale = d.compareAndSet(key("a"), 3, 5);
      int moved = d.compareAndSet(key("a"), 7, 5);
      int missing = d.compareAndSet(key("z"), 7, 5);

      assertThat(stale).isEqualTo(7);
      assertThat(moved).isEqualTo(5);
      assertThat(missing).isEqualTo(HomeDirectory.ABSENT);
      assertThat(d.claim(new byte[][] {key("a")}, new int[] {HomeDirectory.ABSENT}))
          .containsExactly(5);
    }
  }

  @Test
  void putMeta_thenReopen_keepsValueApartFromRows() {
    try (RocksHomeDirectory d = RocksHomeDirectory.open(dir)) {
      d.claim(new byte[][] {key("lease")}, new int[] {3});
      d.putMeta("lease", key("holder-a"));
    }
    try (RocksHomeDirectory d = RocksHomeDirectory.open(dir)) {
      assertThat(d.meta("lease")).isEqualTo(key("holder-a"));
      assertThat(d.meta("cursor")).isNull();
      assertThat(d.claim(new byte[][] {key("lease")}, new int[] {HomeDirectory.ABSENT}))
          .containsExactly(3);
    }
  }
}
