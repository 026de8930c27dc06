package io.tempora.persistence.rocks;

import io.tempora.engine.model.Ids;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.StoreException;
import io.tempora.engine.store.StoreMeta;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.ValueCodec;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up steps 4 and 5 of STORAGE.md §5, independent of data size: (4) each counter above the
 * highest id it allocated ({@link CounterCheck}); (5) {@code storage.startup_sample} live records
 * at random ids checked against their identity, attr_value, key_postings and membership rows, and
 * as many rows of those index families at random keys checked against their records. A mismatch
 * refuses the open with a {@link StoreException} naming {@code tempora verify} (the shard exits
 * with status 3). Reads the latest state; writes nothing.
 */
final class StartupChecks {
  private static final Logger LOG = LoggerFactory.getLogger(StartupChecks.class);
  private static final Cf[] SAMPLED_INDEXES = {
    Cf.IDENTITY, Cf.ATTR_VALUE, Cf.KEY_POSTINGS, Cf.MEMBERSHIPS
  };

  private StartupChecks() {}

  /**
   * Runs both steps.
   *
   * @param sample records to check (and index rows; 0 = skip step 5)
   * @throws StoreException naming every problem found and {@code tempora verify}
   */
  static void run(
      Path dataDir,
      RocksStore rocks,
      int shard,
      int sample,
      Map<Kind, Long> internerCounters,
      Random random) {
    long start = System.nanoTime();
    List<String> counters = CounterCheck.problems(rocks, shard);
    if (!counters.isEmpty()) {
      throw refused(dataDir, "counter not above the highest id: " + String.join("; ", counters));
    }
    if (sample == 0) {
      return;
    }
    Interner interner = new Interner(Math.max(16, sample), internerCounters);
    Map<String, StoreVerifier.Problem> problems;
    int records;
    int rows;
    try (RocksView view =
        new RocksView(new DataDirVerifier.LatestSource(rocks), interner, () -> {})) {
      List<Long> rids = sampleRecords(view, rocks, shard, sample, random);
      List<StoreVerifier.Row> indexRows = sampleRows(view, rocks, sample, random);
      records = rids.size();
      rows = indexRows.size();
      problems = StoreVerifier.sample(view, rids, indexRows);
    }
    if (!problems.isEmpty()) {
      List<String> lines = new ArrayList<>();
      problems.forEach((k, p) -> lines.add(k + ": " + String.join(", ", p.examples())));
      throw refused(dataDir, "start-up sample found " + String.join("; ", lines));
    }
    long micros = (System.nanoTime() - start) / 1000;
    LOG.info(
        "start-up checks passed: counters, {} sampled records, {} index rows ({} µs)",
        records,
        rows,
        micros);
    if (micros > 200_000) {
      LOG.warn("start-up sample took {} ms, over STORAGE.md's 200 ms", micros / 1000);
    }
  }

  private static StoreException refused(Path dataDir, String problem) {
    LOG.error("start-up check failed in {}: {}", dataDir, problem);
    return new StoreException(
        "start-up check failed in "
            + dataDir
            + ": "
            + problem
            + "; run tempora verify --data-dir "
            + dataDir);
  }

  /** Up to {@code n} live records: for each, the first at or after a random id of this shard. */
  private static List<Long> sampleRecords(
      RocksView view, RocksStore rocks, int shard, int n, Random random) {
    byte[] metaBytes = rocks.get(Cf.META, RocksView.STORE_META);
    StoreMeta meta = metaBytes == null ? StoreMeta.INITIAL : ValueCodec.storeMeta(metaBytes);
    long next = meta.nextRecord();
    List<Long> out = new ArrayList<>();
    if (next <= 1) {
      return out;
    }
    long last = Ids.of(shard, Math.min(next - 1, Ids.MAX_COUNTER));
    for (int i = 0; i < n; i++) {
      long from = Ids.of(shard, 1 + random.nextLong(next - 1));
      try (Cursor<Long> live = view.liveRecords(from - 1)) {
        if (live.hasNext()) {
          long rid = live.next();
          if (Long.compareUnsigned(rid, last) <= 0 && !out.contains(rid)) {
            out.add(rid);
          }
        }
      }
    }
    return out;
  }

  /**
   * Up to {@code n} index rows, families in turn: seek to a random key between the family's first
   * and last key (shorter than its prefix, so the seek is in total order), then step 0–7 rows.
   */
  private static List<StoreVerifier.Row> sampleRows(
      RocksView view, RocksStore rocks, int n, Random random) {
    List<StoreVerifier.Row> out = new ArrayList<>();
    for (int f = 0; f < SAMPLED_INDEXES.length; f++) {
      Cf cf = SAMPLED_INDEXES[f];
      int width = cf.prefix() > 0 ? cf.prefix() - 1 : 16;
      BigInteger[] bounds = bounds(rocks, cf, width);
      if (bounds == null) {
        continue;
      }
      BigInteger span = bounds[1].subtract(bounds[0]).add(BigInteger.ONE);
      for (int i = f; i < n; i += SAMPLED_INDEXES.length) {
        BigInteger at = bounds[0].add(new BigInteger(span.bitLength() + 8, random).mod(span));
        StoreVerifier.Row row = rowNear(view, cf, bytes(at, width), random.nextInt(8));
        if (row != null && out.stream().noneMatch(r -> Arrays.equals(r.key(), row.key()))) {
          out.add(row);
        }
      }
    }
    return out;
  }

  /** The first {@code width} bytes of the family's first and last key as numbers, or null. */
  private static BigInteger[] bounds(RocksStore rocks, Cf cf, int width) {
    try (ReadOptions total = new ReadOptions().setTotalOrderSeek(true);
        RocksIterator it = rocks.db().newIterator(rocks.handle(cf), total)) {
      it.seekToFirst();
      if (!it.isValid()) {
        return null;
      }
      BigInteger first = number(it.key(), width);
      it.seekToLast();
      return new BigInteger[] {first, number(it.key(), width)};
    }
  }

  private static BigInteger number(byte[] key, int width) {
    return new BigInteger(1, Arrays.copyOf(key, width));
  }

  private static byte[] bytes(BigInteger n, int width) {
    byte[] raw = n.toByteArray();
    byte[] out = new byte[width];
    int len = Math.min(raw.length, width);
    System.arraycopy(raw, raw.length - len, out, width - len, len);
    return out;
  }

  private static StoreVerifier.Row rowNear(RocksView view, Cf cf, byte[] from, int skip) {
    StoreVerifier.Row row = null;
    try (Cursor<StoreVerifier.Row> c =
        view.scan(cf, from, null, (k, v) -> new StoreVerifier.Row(cf, k, v))) {
      for (int i = 0; i <= skip && c.hasNext(); i++) {
        row = c.next();
      }
    }
    return row;
  }
}
