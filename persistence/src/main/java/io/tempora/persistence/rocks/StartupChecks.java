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
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

  /**
   * Threads the sample is spread over: its reads are independent, and on a large store most of
   * their time is the first open of SST files, which RocksDB does on the reading thread.
   */
  private static final int PARTS = 4;

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
    Map<String, StoreVerifier.Problem> problems = new TreeMap<>();
    int records = 0;
    int rows = 0;
    List<Probe> probes = probes(rocks, shard, sample, random);
    int parts = Math.min(PARTS, Math.max(1, probes.size()));
    List<Future<Part>> futures = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(parts, StartupChecks::thread)) {
      for (int p = 0; p < parts; p++) {
        List<Probe> mine = new ArrayList<>();
        for (int i = p; i < probes.size(); i += parts) {
          mine.add(probes.get(i));
        }
        futures.add(pool.submit(() -> check(rocks, internerCounters, mine)));
      }
      for (Future<Part> f : futures) {
        Part part = await(f);
        records += part.records();
        rows += part.rows();
        part.problems().forEach((k, v) -> problems.merge(k, v, StartupChecks::merge));
      }
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

  /**
   * Where to look: {@code n} random record ids of this shard, and {@code n} random keys between the
   * first and last key of the sampled index families (in turn), each with a number of rows (0–7) to
   * step past. Drawn here, in one thread, so that a seed gives the same sample however it is split.
   */
  private static List<Probe> probes(RocksStore rocks, int shard, int n, Random random) {
    List<Probe> out = new ArrayList<>();
    byte[] metaBytes = rocks.get(Cf.META, RocksView.STORE_META);
    StoreMeta meta = metaBytes == null ? StoreMeta.INITIAL : ValueCodec.storeMeta(metaBytes);
    long next = meta.nextRecord();
    if (next > 1) {
      long last = Ids.of(shard, Math.min(next - 1, Ids.MAX_COUNTER));
      for (int i = 0; i < n; i++) {
        long from = Ids.of(shard, 1 + random.nextLong(next - 1));
        out.add(new Probe(null, null, 0, from, last));
      }
    }
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
        out.add(new Probe(cf, bytes(at, width), random.nextInt(8), 0, 0));
      }
    }
    return out;
  }

  /**
   * One thread's share of step 5: resolves its probes to live records and index rows and checks
   * them, through its own view and interner.
   */
  private static Part check(RocksStore rocks, Map<Kind, Long> internerCounters, List<Probe> mine) {
    Interner interner = new Interner(Math.max(16, mine.size()), internerCounters);
    try (RocksView view =
        new RocksView(new DataDirVerifier.LatestSource(rocks), interner, () -> {})) {
      List<Long> rids = new ArrayList<>();
      List<StoreVerifier.Row> rows = new ArrayList<>();
      for (Probe p : mine) {
        if (p.cf() == null) {
          try (Cursor<Long> live = view.liveRecords(p.from() - 1)) {
            if (live.hasNext()) {
              long rid = live.next();
              if (Long.compareUnsigned(rid, p.last()) <= 0 && !rids.contains(rid)) {
                rids.add(rid);
              }
            }
          }
        } else {
          StoreVerifier.Row row = rowNear(view, p.cf(), p.key(), p.skip());
          if (row != null && rows.stream().noneMatch(r -> Arrays.equals(r.key(), row.key()))) {
            rows.add(row);
          }
        }
      }
      return new Part(rids.size(), rows.size(), StoreVerifier.sample(view, rids, rows));
    }
  }

  private static Part await(Future<Part> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("start-up sample interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new StoreException("start-up sample failed: " + e.getCause(), e.getCause());
    }
  }

  private static StoreVerifier.Problem merge(StoreVerifier.Problem a, StoreVerifier.Problem b) {
    List<String> ex = new ArrayList<>(a.examples());
    for (String e : b.examples()) {
      if (ex.size() < StoreVerifier.EXAMPLES) {
        ex.add(e);
      }
    }
    return new StoreVerifier.Problem(a.count() + b.count(), List.copyOf(ex));
  }

  private static Thread thread(Runnable r) {
    Thread t = new Thread(r, "tempora-startup-sample");
    t.setDaemon(true);
    return t;
  }

  /** A record probe ({@code cf} null: first live record after {@code from}) or an index probe. */
  private record Probe(Cf cf, byte[] key, int skip, long from, long last) {}

  /** What one thread checked and found. */
  private record Part(int records, int rows, Map<String, StoreVerifier.Problem> problems) {}

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
