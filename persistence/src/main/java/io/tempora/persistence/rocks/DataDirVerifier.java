package io.tempora.persistence.rocks;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictOrder;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
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
    for (String problem : CounterCheck.problems(rocks, shard)) {
      report("counter not above the highest id", problem);
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
      conflictOrder(view);
      events(view);
    }
  }

  /** Every stored conflict item has its conflict_order row, and every such row a stored item. */
  private void conflictOrder(RocksView view) {
    try (Cursor<byte[]> c =
        view.scan(
            Cf.CONFLICTS,
            new byte[0],
            null,
            (k, v) -> {
              String unit = io.tempora.persistence.codec.WtfEight.decode(k, 0, k.length);
              for (ConflictItem item : ValueCodec.conflictItems(v)) {
                byte[] row = view.get(Cf.CONFLICT_ORDER, ConflictOrder.key(item));
                if (row == null || !ValueCodec.conflictItem(row).equals(item)) {
                  report("conflict without its conflict_order row", unit);
                }
              }
              return null;
            })) {
      c.toList();
    }
    try (Cursor<byte[]> c =
        view.scan(
            Cf.CONFLICT_ORDER,
            new byte[0],
            null,
            (k, v) -> {
              ConflictItem item = ValueCodec.conflictItem(v);
              if (!java.util.Arrays.equals(k, ConflictOrder.key(item))) {
                report(
                    "conflict_order row under another item's key", item.kind() + " " + ids(item));
              } else if (!stored(view, item)) {
                report(
                    "conflict_order row naming no stored conflict", item.kind() + " " + ids(item));
              }
              return null;
            })) {
      c.toList();
    }
  }

  private static boolean stored(RocksView view, ConflictItem item) {
    for (long eid : item.entityIds()) {
      for (String unit : view.conflictUnits(eid).toList()) {
        if (view.conflicts(unit).contains(item)) {
          return true;
        }
      }
    }
    return false;
  }

  private static String ids(ConflictItem item) {
    return item.entityIds().stream().map(Long::toUnsignedString).toList().toString();
  }

  /**
   * Events: per tx, ordinals 0, 1, … without gaps; every value decodes (one event, or a packed list
   * of them); each event's tx equals its key's; no tx after {@code last_tx}, except, while an
   * ontology switch is {@code RUNNING}, the pieces of its events already written at {@code last_tx
   * + 1} (docs/storage.md, "Ontology switch").
   */
  private void events(RocksView view) {
    StoreMeta meta = view.meta();
    boolean switching =
        meta.job() != null && meta.job().state() == StoreMeta.ResolutionJob.State.RUNNING;
    long lastTx = switching ? meta.lastTx() + 1 : meta.lastTx();
    long[] expect = {0, 0}; // tx, next ordinal
    try (Cursor<byte[]> c =
        view.scan(
            Cf.EVENTS,
            new byte[0],
            null,
            (k, v) -> {
              long tx = Keys.u64(k, 0);
              int ordinal = ((k[8] & 0xFF) << 8) | (k[9] & 0xFF);
              String at = "tx " + tx + " ordinal " + ordinal;
              if (tx != expect[0]) {
                expect[0] = tx;
                expect[1] = 0;
              }
              if (ordinal != expect[1]) {
                report("event ordinals not contiguous from 0", at);
              }
              expect[1] = ordinal + 1L;
              List<EntityEvent> events;
              try {
                events = ValueCodec.events(v);
              } catch (IllegalStateException e) {
                report("undecodable event value", at + ": " + e.getMessage());
                return null;
              }
              if (events.stream().anyMatch(e -> e.tx() != tx)) {
                report("event tx disagrees with its key", at);
              }
              if (tx == 0 || Long.compareUnsigned(tx, lastTx) > 0) {
                report("event outside transactions 1..last_tx", at + " (last_tx " + lastTx + ")");
              }
              return null;
            })) {
      c.toList();
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
  record LatestSource(RocksStore rocks) implements Source {
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
