package io.tempora.persistence.rocks;

import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Ids;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.StoreException;
import io.tempora.engine.store.StoreMeta;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.VerifyReport;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.ValueCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.rocksdb.RocksIterator;

/**
 * {@code tempora verify --data-dir DIR} (STORAGE.md §5): opens a stopped shard's data dir (or a
 * checkpoint copy) with RocksDB's read-only open, so nothing on disk changes, and checks SST
 * checksums, the acknowledged watermark, counters against the highest ids, records ↔ every index,
 * interner pairs, entity ids ↔ active index ↔ aliases ↔ memberships, and conflict units. Memory is
 * bounded by one record's rows plus the report.
 */
public final class DataDirVerifier {
  private static final int EXAMPLES = 10;

  private final RocksStore rocks;
  private final Map<String, List<String>> examples = new TreeMap<>();
  private final Map<String, Long> counts = new TreeMap<>();

  private DataDirVerifier(RocksStore rocks) {
    this.rocks = rocks;
  }

  /**
   * Verifies {@code dataDir} read-only.
   *
   * @return the report; {@link VerifyReport#exitCode()} is the command's exit status
   * @throws StoreException if the check cannot run: the directory or its database is missing, it is
   *     not a Tempora data dir, its format version is unknown, or RocksDB cannot open it (exit
   *     status {@link VerifyReport#EXIT_COULD_NOT_RUN})
   */
  public static VerifyReport verify(Path dataDir) {
    if (!Files.isDirectory(dataDir)) {
      throw new StoreException("data dir " + dataDir + " does not exist");
    }
    StorageConfig config = StorageConfig.defaults(0).withSmallCaches();
    try (RocksStore rocks = RocksStore.openReadOnly(dataDir, config)) {
      byte[] format = rocks.get(Cf.META, RocksShardStore.FORMAT);
      if (format == null) {
        throw new StoreException(
            "data dir " + dataDir + " is not a Tempora data dir: meta/format_version is missing");
      }
      long version = RocksShardStore.readLong(format);
      if (version != RocksShardStore.FORMAT_VERSION) {
        throw new StoreException(
            "data dir "
                + dataDir
                + ": format version "
                + version
                + " is not supported; this build reads format version "
                + RocksShardStore.FORMAT_VERSION);
      }
      long shard = RocksShardStore.readLong(rocks.get(Cf.META, RocksShardStore.SHARD));
      long lastWseq = RocksShardStore.readLong(rocks.get(Cf.META, RocksShardStore.LAST_WSEQ));
      DataDirVerifier v = new DataDirVerifier(rocks);
      v.watermark(dataDir, lastWseq);
      // Index checks read through damaged blocks would fail half-way: report the damage instead.
      if (v.checksums()) {
        try {
          v.counters((int) shard);
          v.views();
        } catch (StoreException e) {
          v.report("read failed", e.getMessage());
        }
      }
      return new VerifyReport(dataDir, shard, lastWseq, v.problems());
    }
  }

  private Map<String, VerifyReport.Problem> problems() {
    Map<String, VerifyReport.Problem> out = new TreeMap<>();
    counts.forEach((k, n) -> out.put(k, new VerifyReport.Problem(n, examples.get(k))));
    return out;
  }

  private void report(String problemClass, String example) {
    counts.merge(problemClass, 1L, Long::sum);
    List<String> ex = examples.computeIfAbsent(problemClass, k -> new ArrayList<>());
    if (ex.size() < EXAMPLES) {
      ex.add(example);
    }
  }

  /** Returns true iff every SST checksum is right. */
  private boolean checksums() {
    try {
      rocks.verifyChecksum();
      return true;
    } catch (StoreException e) {
      report("SST checksum mismatch", e.getMessage());
      return false;
    }
  }

  private void watermark(Path dataDir, long lastWseq) {
    switch (AckedFile.read(dataDir)) {
      case AckedFile.Present p when p.acked().wseq() > lastWseq ->
          report(
              "database behind the acknowledged watermark",
              "last_wseq " + lastWseq + " < ACKED wseq " + p.acked().wseq());
      case AckedFile.Unreadable u when lastWseq > 0 -> report("ACKED unreadable", u.reason());
      case AckedFile.Missing m when lastWseq > 0 ->
          report("ACKED missing", "last_wseq " + lastWseq);
      default -> {}
    }
  }

  /** Each counter above the highest id it allocated (§5 step 4), one seekForPrev each. */
  private void counters(int shard) {
    byte[] metaBytes = rocks.get(Cf.META, RocksView.STORE_META);
    StoreMeta meta = metaBytes == null ? StoreMeta.INITIAL : ValueCodec.storeMeta(metaBytes);
    checkCounter(
        "store_meta next record", meta.nextRecord(), highestId(Cf.RECORDS, shard), Ids::counter);
    checkCounter(
        "store_meta next entity", meta.nextEntity(), highestId(Cf.ENTITY_IDS, shard), Ids::counter);
    for (Kind k : Kind.values()) {
      long next = RocksShardStore.readLong(rocks.get(Cf.META, Keys.meta(Interner.counterName(k))));
      checkCounter(
          "meta/" + Interner.counterName(k), next == 0 ? 1 : next, highestInterned(k), id -> id);
    }
  }

  private void checkCounter(
      String name, long next, long highest, java.util.function.LongUnaryOperator counterOf) {
    if (highest != -1 && counterOf.applyAsLong(highest) >= next) {
      report(
          "counter not above the highest id",
          name + " " + next + " <= highest id " + Long.toUnsignedString(highest));
    }
  }

  /** The highest u64 key of {@code cf} within {@code shard}'s id range, or -1. */
  private long highestId(Cf cf, int shard) {
    byte[] lo = Keys.u64((long) shard << 48);
    try (RocksIterator it = rocks.db().newIterator(rocks.handle(cf))) {
      it.seekForPrev(Keys.u64(Ids.of(shard, Ids.MAX_COUNTER)));
      if (!it.isValid() || java.util.Arrays.compareUnsigned(it.key(), lo) < 0) {
        return -1;
      }
      return Keys.u64(it.key(), 0);
    }
  }

  private long highestInterned(Kind k) {
    byte[] last = new byte[1 + k.width()];
    java.util.Arrays.fill(last, (byte) 0xFF);
    last[0] = (byte) k.tag();
    try (RocksIterator it = rocks.db().newIterator(rocks.handle(Cf.INTERNER))) {
      it.seekForPrev(last);
      if (!it.isValid() || it.key()[0] != (byte) k.tag()) {
        return -1;
      }
      byte[] key = it.key();
      return k.width() == 8
          ? Keys.u64(key, 1)
          : Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(key, 1, 4).getInt());
    }
  }

  /** Index ↔ record checks and entity checks over the (immutable) read-only state. */
  private void views() {
    Map<Kind, Long> counters = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      counters.put(k, 1L);
    }
    Interner interner = new Interner(1000, counters);
    try (RocksView view = new RocksView(new LatestSource(rocks), interner, () -> {})) {
      StoreVerifier.verify(view)
          .forEach(
              (k, p) -> {
                counts.put(k, p.count());
                examples.put(k, new ArrayList<>(p.examples()));
              });
      entities(view);
      conflictUnits(view);
    }
  }

  private void entities(RocksView view) {
    try (Cursor<byte[]> c =
        view.scan(
            Cf.ENTITY_IDS,
            new byte[0],
            null,
            (k, v) -> {
              entityRow(view, ValueCodec.entityRow(Keys.u64(k, 0), v));
              return null;
            })) {
      c.toList();
    }
    try (Cursor<Long> active = view.activeEntities(0)) {
      while (active.hasNext()) {
        long eid = active.next();
        EntityRow row = view.entity(eid);
        if (row == null || row.status() != EntityRow.Status.ACTIVE) {
          report("active_entities row naming no active entity", "entity " + id(eid));
        }
      }
    }
    try (Cursor<byte[]> c =
        view.scan(
            Cf.ALIASES,
            new byte[0],
            null,
            (k, v) -> {
              long target = Keys.u64(k, 0);
              EntityRow alias = view.entity(Keys.lastU64(k));
              if (alias == null
                  || alias.status() != EntityRow.Status.MERGED
                  || alias.mergedInto() != target) {
                report(
                    "dangling alias row", "target " + id(target) + " alias " + id(Keys.lastU64(k)));
              }
              return null;
            })) {
      c.toList();
    }
    try (Cursor<byte[]> c =
        view.scan(
            Cf.MEMBERSHIPS,
            new byte[0],
            null,
            (k, v) -> {
              EntityRow row = view.entity(Keys.u64(k, 0));
              if (row == null || row.status() != EntityRow.Status.ACTIVE) {
                report("membership of an inactive entity", "entity " + id(Keys.u64(k, 0)));
              }
              return null;
            })) {
      c.toList();
    }
  }

  private void entityRow(RocksView view, EntityRow row) {
    long eid = row.entityId();
    boolean indexed = view.get(Cf.ACTIVE_ENTITIES, Keys.u64(eid)) != null;
    switch (row.status()) {
      case ACTIVE -> {
        if (!indexed) {
          report("active entity missing from active_entities", "entity " + id(eid));
        }
        try (Cursor<Long> m = view.members(eid)) {
          if (!m.hasNext()) {
            report("active entity without members", "entity " + id(eid));
          }
        }
      }
      case MERGED -> {
        if (view.entity(row.mergedInto()) == null) {
          report("merged entity pointing at no entity", "entity " + id(eid));
        }
        if (view.get(Cf.ALIASES, Keys.pair(row.mergedInto(), eid)) == null) {
          report("merged entity without its alias row", "entity " + id(eid));
        }
      }
      case DELETED -> {}
    }
    if (indexed && row.status() != EntityRow.Status.ACTIVE) {
      report("active_entities row naming no active entity", "entity " + id(eid));
    }
  }

  private void conflictUnits(RocksView view) {
    try (Cursor<byte[]> c =
        view.scan(
            Cf.CONFLICT_UNITS,
            new byte[0],
            null,
            (k, v) -> {
              String unit = io.tempora.persistence.codec.WtfEight.decode(k, 8, k.length - 8);
              if (view.conflicts(unit).isEmpty()) {
                report("conflict_units row naming no conflict", unit);
              }
              return null;
            })) {
      c.toList();
    }
  }

  private static String id(long id) {
    return Long.toUnsignedString(id);
  }

  /** Reads the latest state; the read-only database never changes under it. */
  private record LatestSource(RocksStore rocks) implements Source {
    @Override
    public byte[] get(Cf cf, byte[] key) {
      return rocks.get(cf, key);
    }

    @Override
    public Scan scan(Cf cf, byte[] from, byte[] to) {
      return rocks.scan(cf, null, null, from, to);
    }

    @Override
    public boolean isTransactional() {
      return false;
    }
  }
}
