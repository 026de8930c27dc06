package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.persistence.HomeDirectory;
import io.tempora.persistence.InMemoryHomeDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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
  void changes_casAndHomeRowWrites_countButClaimsAndSideRowsDoNot() {
    try (RocksHomeDirectory rocks = RocksHomeDirectory.open(dir);
        InMemoryHomeDirectory memory = new InMemoryHomeDirectory()) {
      for (HomeDirectory d : List.of(rocks, memory)) {
        d.claim(new byte[][] {key("a"), key("b")}, new int[] {7, 8});
        long afterClaims = d.changes();
        d.compareAndSet(key("a"), 6, 9);
        long afterFailedCas = d.changes();
        d.write(List.of(), List.of(new byte[] {(byte) 0xF0, 1}), List.of(new byte[] {1}));
        d.putMeta("m", new byte[] {1});
        long afterSideRows = d.changes();
        d.compareAndSet(key("a"), 7, 9);
        long afterCas = d.changes();
        d.write(List.of(key("b")), List.of(), List.of());
        long afterHomeDelete = d.changes();

        assertThat(afterClaims).as("claims of absent rows").isZero();
        assertThat(afterFailedCas).as("a CAS that did not set").isZero();
        assertThat(afterSideRows).as("side rows and meta values").isZero();
        assertThat(afterCas).isEqualTo(1);
        assertThat(afterHomeDelete).isEqualTo(2);
      }
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
  void sideRows_writeScanAndDelete_surviveReopenAndStayOutOfHomeRows() {
    byte[] side1 = {(byte) 0xF0, 1, 'x'};
    byte[] side2 = {(byte) 0xF0, 1, 'y'};
    byte[] other = {(byte) 0xF1, 1};
    try (RocksHomeDirectory d = RocksHomeDirectory.open(dir)) {
      d.claim(new byte[][] {key("a")}, new int[] {7});
      d.write(List.of(), List.of(side1, side2, other), List.of(key("1"), key("2"), key("3")));
      d.write(List.of(side1), List.of(), List.of());
    }
    try (RocksHomeDirectory d = RocksHomeDirectory.open(dir)) {
      List<byte[][]> rows = d.scan(new byte[0], new byte[] {(byte) 0xF0, 1}, 10);

      assertThat(rows).hasSize(1);
      assertThat(rows.getFirst()[0]).isEqualTo(side2);
      assertThat(rows.getFirst()[1]).isEqualTo(key("2"));
      assertThat(d.get(other)).isEqualTo(key("3"));
      assertThat(d.get(side1)).isNull();
      assertThat(d.claim(new byte[][] {key("a")}, new int[] {HomeDirectory.ABSENT}))
          .containsExactly(7);
    }
  }

  @Test
  void scan_fromAndLimit_matchInMemoryDirectory() {
    try (RocksHomeDirectory rocks = RocksHomeDirectory.open(dir);
        InMemoryHomeDirectory memory = new InMemoryHomeDirectory()) {
      for (HomeDirectory d : List.of(rocks, memory)) {
        d.write(
            List.of(),
            List.of(key("p1"), key("p2"), key("p3"), key("q1")),
            List.of(key("1"), key("2"), key("3"), key("4")));
      }
      for (HomeDirectory d : List.of(rocks, memory)) {
        List<byte[][]> rows = d.scan(key("p2"), key("p"), 5);

        assertThat(rows)
            .extracting(r -> new String(r[0], StandardCharsets.UTF_8))
            .as("%s", d.getClass().getSimpleName())
            .containsExactly("p2", "p3");
        assertThat(d.scan(key("p"), key("p"), 1)).hasSize(1);
      }
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
