package io.tempora.persistence.rocks;

import io.tempora.engine.store.Cursor;
import io.tempora.persistence.codec.ValueCodec;
import io.tempora.persistence.codec.VersionStamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The history checks of {@code tempora verify} (STORAGE.md §5, §8): partition rows ({@code
 * meta/history/<part>}) decode and follow each other in tx order; every {@code record_history} key
 * is 16 bytes and lies in a partition with a row; every stored version decodes, agrees with its key
 * and belongs to an existing record; per record the kept versions (legacy layout first, then the
 * partitions in order) are contiguous up to the current version, each was superseded (by the next
 * version's tx) inside its partition's tx range (legacy ones by the legacy bound), and a history
 * not starting at version 1 lost its oldest versions to retention ({@code meta/history_from}). One
 * merge of the {@code records} family with one cursor per partition: memory is bounded by the
 * number of partitions plus one record's versions.
 */
final class HistoryVerifier {
  private final RocksView view;
  private final BiConsumer<String, String> report;
  private final long lastTx;
  private final long historyFrom;
  private final HistoryPartitions.Legacy legacy;
  // Partition rows by part; parts present in record_history (rows or not) with their row counts.
  private final Map<Long, HistoryPartitions.Range> ranges = new HashMap<>();
  private final TreeMap<Long, long[]> present = new TreeMap<>();

  private HistoryVerifier(RocksView view, BiConsumer<String, String> report) {
    this.view = view;
    this.report = report;
    this.lastTx = view.meta().lastTx();
    this.historyFrom = decodeFrom();
    this.legacy = decodeLegacy();
  }

  /** Checks the view, reporting (problem class, example) pairs. */
  static void verify(RocksView view, BiConsumer<String, String> report) {
    HistoryVerifier v = new HistoryVerifier(view, report);
    v.partitionRows();
    v.presentParts();
    v.records();
    v.orphans();
  }

  private static String id(long id) {
    return Long.toUnsignedString(id);
  }

  private long decodeFrom() {
    try {
      return HistoryPartitions.From.decode(view.get(Cf.META, HistoryPartitions.FROM)).firstKeptTx();
    } catch (IllegalStateException e) {
      report.accept("undecodable history meta row", e.getMessage());
      return 1;
    }
  }

  private HistoryPartitions.Legacy decodeLegacy() {
    try {
      return HistoryPartitions.Legacy.decode(view.get(Cf.META, HistoryPartitions.LEGACY));
    } catch (IllegalStateException e) {
      report.accept("undecodable history meta row", e.getMessage());
      return null;
    }
  }

  /** Partition rows: decodable, ranges well formed, in tx order, below last_tx. */
  private void partitionRows() {
    HistoryPartitions.Range previous = null;
    try (Scan s =
        view.source()
            .scan(
                Cf.META,
                HistoryPartitions.META_PREFIX,
                Keys.prefixEnd(HistoryPartitions.META_PREFIX))) {
      for (; s.valid(); s.next()) {
        byte[] k = s.key();
        if (!HistoryPartitions.isMetaKey(k)) {
          report.accept(
              "undecodable history meta row", "meta key of " + k.length + " bytes under history/");
          continue;
        }
        HistoryPartitions.Range r;
        try {
          r = HistoryPartitions.Range.decode(k, s.value());
        } catch (IllegalStateException e) {
          report.accept("undecodable history meta row", e.getMessage());
          continue;
        }
        ranges.put(r.part(), r);
        if (r.firstTx() > r.lastTx()
            || r.firstSeconds() > r.lastSeconds()
            || Long.compareUnsigned(r.lastTx(), lastTx) > 0) {
          report.accept("history partition row out of range", r + " (last_tx " + lastTx + ")");
        }
        if (previous != null && previous.lastTx() >= r.firstTx()) {
          report.accept(
              "history partitions out of tx order", "part " + previous.part() + ", " + r.part());
        }
        previous = r;
      }
    }
  }

  /** The parts present in {@code record_history}: one seek per partition, not a scan. */
  private void presentParts() {
    byte[] from = new byte[0];
    while (from != null) {
      byte[] first;
      try (Scan s = view.source().scan(Cf.RECORD_HISTORY, from, null)) {
        first = s.valid() ? s.key() : null;
      }
      if (first == null) {
        return;
      }
      if (first.length < 4) {
        report.accept("malformed record_history key", "key of " + first.length + " bytes");
        from = Keys.prefixEnd(first);
        continue;
      }
      long part = HistoryPartitions.partOf(first);
      present.put(part, new long[1]);
      from = part == HistoryPartitions.MAX_PART ? null : HistoryPartitions.start(part + 1);
    }
  }

  /** One stored superseded version. */
  private record Row(long part, long rid, int version, long tx) {}

  /** A cursor with one row of look-ahead over one partition (or the legacy family). */
  private static final class Rows {
    final Cursor<Row> cursor;
    Row head;

    Rows(Cursor<Row> cursor) {
      this.cursor = cursor;
      advance();
    }

    void advance() {
      head = cursor.hasNext() ? cursor.next() : null;
    }
  }

  private Row row(long part, byte[] k, byte[] v) {
    int expected =
        part == RocksShardStore.LEGACY_PART
            ? HistoryPartitions.LEGACY_KEY_LENGTH
            : HistoryPartitions.KEY_LENGTH;
    if (k.length != expected) {
      report.accept(
          part == RocksShardStore.LEGACY_PART
              ? "malformed record_versions key"
              : "malformed record_history key",
          "key of " + k.length + " bytes");
      return null;
    }
    long rid;
    int version;
    if (part == RocksShardStore.LEGACY_PART) {
      rid = Keys.u64(k, 0);
      version = java.nio.ByteBuffer.wrap(k, 8, 4).getInt();
    } else {
      rid = HistoryPartitions.ridOf(k);
      version = HistoryPartitions.versionOf(k);
      present.get(part)[0]++;
    }
    String at = where(part, rid, version);
    VersionStamp stamp;
    try {
      stamp = ValueCodec.versionStamp(rid, v);
    } catch (IllegalStateException e) {
      report.accept("undecodable history version", at + ": " + e.getMessage());
      return null;
    }
    if (stamp.version() != version) {
      report.accept("history key and value disagree", at + " holds version " + stamp.version());
      return null;
    }
    return new Row(part, rid, version, stamp.tx());
  }

  private static String where(long part, long rid, int version) {
    return (part == RocksShardStore.LEGACY_PART ? "legacy" : "part " + part)
        + " record "
        + id(rid)
        + " version "
        + version;
  }

  /** Merges {@code records} with every partition's rows by record id. */
  private void records() {
    List<Rows> sources = new ArrayList<>();
    sources.add(
        new Rows(
            view.scan(
                Cf.RECORD_VERSIONS,
                new byte[0],
                null,
                (k, v) -> row(RocksShardStore.LEGACY_PART, k, v))));
    for (long part : present.keySet()) {
      sources.add(
          new Rows(
              view.scan(
                  Cf.RECORD_HISTORY,
                  HistoryPartitions.start(part),
                  HistoryPartitions.end(part),
                  (k, v) -> row(part, k, v))));
    }
    try (Cursor<long[]> records =
        view.scan(
            Cf.RECORDS,
            new byte[0],
            null,
            (k, v) -> {
              long rid = Keys.u64(k, 0);
              try {
                VersionStamp s = ValueCodec.versionStamp(rid, v);
                return new long[] {rid, s.version(), s.tx()};
              } catch (IllegalStateException e) {
                return new long[] {rid, -1, -1};
              }
            })) {
      while (records.hasNext()) {
        long[] r = records.next();
        long rid = r[0];
        dangling(sources, rid, false);
        List<Row> kept = new ArrayList<>();
        for (Rows s : sources) {
          while (s.head != null && s.head.rid() == rid) {
            kept.add(s.head);
            s.advance();
          }
        }
        if (r[1] >= 0) {
          record(rid, (int) r[1], r[2], kept);
        }
      }
      dangling(sources, 0, true);
    } finally {
      for (Rows s : sources) {
        s.cursor.close();
      }
    }
  }

  /** Rows of records below {@code rid} (unsigned), or all rows left if {@code all}, name none. */
  private void dangling(List<Rows> sources, long rid, boolean all) {
    for (Rows s : sources) {
      while (s.head != null && (all || Long.compareUnsigned(s.head.rid(), rid) < 0)) {
        report.accept(
            "history of a record that does not exist",
            where(s.head.part(), s.head.rid(), s.head.version()));
        s.advance();
      }
    }
  }

  /** One record's kept versions (legacy first, partitions ascending) against its current one. */
  private void record(long rid, int current, long currentTx, List<Row> kept) {
    int expectVersion = kept.isEmpty() ? current : kept.get(0).version();
    if (expectVersion > 1) {
      // The version before the first kept one was superseded at that one's tx: retention may
      // have removed it only if that tx is below the first kept superseding tx.
      long supersededAt = kept.isEmpty() ? currentTx : kept.get(0).tx();
      if (supersededAt >= historyFrom) {
        report.accept(
            "record history missing versions",
            "record " + id(rid) + " history starts at version " + expectVersion);
      }
    }
    for (int i = 0; i < kept.size(); i++) {
      Row row = kept.get(i);
      int nextVersion = i + 1 < kept.size() ? kept.get(i + 1).version() : current;
      long supersededBy = i + 1 < kept.size() ? kept.get(i + 1).tx() : currentTx;
      if (nextVersion != row.version() + 1) {
        report.accept(
            "record history not contiguous",
            where(row.part(), rid, row.version()) + " followed by version " + nextVersion);
      }
      String at = where(row.part(), rid, row.version());
      if (row.part() == RocksShardStore.LEGACY_PART) {
        if (legacy != null && legacy.state() != HistoryPartitions.LEGACY_KEPT) {
          report.accept("record_versions rows although meta/history_legacy says none are kept", at);
        } else if (legacy != null && Long.compareUnsigned(supersededBy, legacy.lastTx()) > 0) {
          report.accept(
              "history version outside its partition's tx range",
              at + " superseded at tx " + supersededBy + ", legacy bound " + legacy.lastTx());
        }
        continue;
      }
      HistoryPartitions.Range range = ranges.get(row.part());
      if (range != null && (supersededBy < range.firstTx() || supersededBy > range.lastTx())) {
        report.accept(
            "history version outside its partition's tx range",
            at
                + " superseded at tx "
                + supersededBy
                + ", partition holds "
                + range.firstTx()
                + ".."
                + range.lastTx());
      }
    }
  }

  /** Partitions holding versions but no {@code meta/history/<part>} row. */
  private void orphans() {
    present.forEach(
        (part, rows) -> {
          if (!ranges.containsKey(part)) {
            report.accept(
                "history partition without its meta row",
                "part " + part + " (" + rows[0] + " version rows)");
          }
        });
  }
}
