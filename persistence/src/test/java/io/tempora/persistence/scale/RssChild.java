package io.tempora.persistence.scale;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksShardStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Child JVM of ST-T10. Prints {@code rss_warm} and {@code rss_end} (kB, from {@code
 * /proc/self/status} VmRSS) on stdout.
 *
 * <ul>
 *   <li>{@code ops DIR N}: opens one store, runs {@code N / 10} mixed operations as warm-up, reads
 *       VmRSS, runs {@code N} more, reads VmRSS again.
 *   <li>{@code cycles DIR N}: after {@link #CYCLE_WARM_UP} warm-up cycles, {@code N} times opens
 *       the store on the same directory, writes one request, runs one query and closes it; VmRSS
 *       after the warm-up and at the end.
 * </ul>
 *
 * Run it with {@code -Xms} equal to {@code -Xmx} and {@code -XX:+AlwaysPreTouch} so the Java heap
 * is resident from the start and RSS growth is native growth.
 */
public final class RssChild {
  /** Cycles run before the first RSS reading (JIT compilation, class loading, arenas). */
  static final int CYCLE_WARM_UP = 50;

  private RssChild() {}

  /** 32 MiB block cache, 8 MiB memtables: the caches fill during warm-up. */
  static StorageConfig config() {
    StorageConfig d = StorageConfig.defaults(0).withDurability(Durability.ASYNC);
    return new StorageConfig(
        0,
        Durability.ASYNC,
        d.syncInterval(),
        d.syncBytes(),
        Duration.ofMillis(1000),
        10_000,
        32L << 20,
        8L << 20,
        d.maxOpenFiles(),
        d.bloomBitsPerKey(),
        2,
        false);
  }

  public static void main(String[] args) {
    Path dir = Path.of(args[1]);
    long n = Long.parseLong(args[2]);
    switch (args[0]) {
      case "ops" -> ops(dir, n);
      case "cycles" -> cycles(dir, (int) n);
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  static void ops(Path dir, long n) {
    try (RocksShardStore store = RocksShardStore.open(dir, config())) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      engine.setOntology(ScaleWorkload.ONTOLOGY, null);
      Mix mix = new Mix(engine, 20_000);
      mix.seed();
      mix.run(n / 10);
      System.out.println("rss_warm=" + rssKb());
      mix.run(n);
      System.out.println("rss_end=" + rssKb());
      System.out.println("ops=" + mix.done);
    }
  }

  static void cycles(Path dir, int n) {
    for (int c = 0; c < CYCLE_WARM_UP; c++) {
      cycle(dir, c);
    }
    long warm = rssKb();
    for (int c = 0; c < n; c++) {
      cycle(dir, CYCLE_WARM_UP + c);
      if ((c + 1) % Math.max(1, n / 10) == 0) {
        System.out.println("rss_cycle_" + (c + 1) + "=" + rssKb());
      }
    }
    System.out.println("rss_warm=" + warm);
    System.out.println("rss_end=" + rssKb());
    System.out.println("cycles=" + n);
  }

  /** Opens the store, writes ten records, runs one query, closes it. */
  private static void cycle(Path dir, int c) {
    try (RocksShardStore store = RocksShardStore.open(dir, config())) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      if (c == 0) {
        engine.setOntology(ScaleWorkload.ONTOLOGY, null);
      }
      engine.upsert(ScaleWorkload.batch(c * 10L, 10));
      engine.reader().query(ScaleWorkload.query(c * 10L));
    }
  }

  /**
   * Mixed operations over a key space of {@code records}: per ten operations four single-record
   * upserts (new or updated), three queries, one get-record, one get-entity, one conflict page.
   */
  static final class Mix {
    private final Engine engine;
    private final long records;
    private long done;

    Mix(Engine engine, long records) {
      this.engine = engine;
      this.records = records;
    }

    void seed() {
      for (long i = 0; i < records; i += 1000) {
        engine.upsert(ScaleWorkload.batch(i, 1000));
      }
    }

    void run(long n) {
      for (long k = 0; k < n; k++, done++) {
        long i = (done * 7919) % records;
        switch ((int) (done % 10)) {
          case 0, 1, 2, 3 -> engine.upsert(List.of(ScaleWorkload.record(i, (int) (done % 7))));
          case 4, 5, 6 -> engine.reader().query(ScaleWorkload.query(i));
          case 7 -> engine.reader().getRecord(ScaleWorkload.identity(i));
          case 8 -> {
            long eid = engine.reader().getRecord(ScaleWorkload.identity(i)).entityId();
            engine.reader().getEntity(eid, null);
          }
          default -> engine.reader().listConflicts(ConflictFilter.NONE, 10, null);
        }
      }
    }
  }

  /** Resident set size of this process in kB. */
  static long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      throw new IllegalStateException("no VmRSS line in /proc/self/status");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
