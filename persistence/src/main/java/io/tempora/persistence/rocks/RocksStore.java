package io.tempora.persistence.rocks;

import io.tempora.engine.store.StoreException;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.StorageStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BackgroundErrorReason;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.HistogramData;
import org.rocksdb.HistogramType;
import org.rocksdb.IndexType;
import org.rocksdb.LRUCache;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.Statistics;
import org.rocksdb.StatsLevel;
import org.rocksdb.TickerType;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

/**
 * The one owner of every native object of a shard database (STORAGE.md §7): the DB, all column
 * family handles, DB and CF options, the shared LRU block cache, the bloom filter, the write buffer
 * manager, statistics and the long-lived read and write options. {@link #open} releases what it
 * opened when a later step fails; {@link #close} releases everything in reverse order, after which
 * every call throws {@link IllegalStateException}. Thread-safe; the opener closes it.
 */
public final class RocksStore implements AutoCloseable {
  static {
    NativeLibrary.load();
  }

  private static final long MIB = 1024L * 1024;

  /** Native objects in creation order; closed in reverse. */
  private final Deque<AutoCloseable> owned;

  private final RocksDB db;
  private final Map<Cf, ColumnFamilyHandle> handles;
  private final List<ColumnFamilyHandle> allHandles;
  private final ReadOptions readLatest;
  private final WriteOptions writeNoSync;
  private final WriteOptions writeSync;
  private final Statistics statistics;
  private final RecoveryListener recovery;
  private volatile boolean closed;

  private RocksStore(Builder b) {
    this.owned = b.owned;
    this.db = b.db;
    this.handles = b.handles;
    this.allHandles = b.allHandles;
    this.readLatest = b.readLatest;
    this.writeNoSync = b.writeNoSync;
    this.writeSync = b.writeSync;
    this.statistics = b.statistics;
    this.recovery = b.recovery;
  }

  /**
   * Opens (creating if missing) the database at {@code <dataDir>/db} with every column family.
   *
   * @throws StoreException if RocksDB cannot open it
   */
  public static RocksStore open(Path dataDir, StorageConfig config) {
    return open(dataDir, config, false);
  }

  /**
   * Opens an existing database read-only (RocksDB's read-only mode: the WAL is replayed into
   * memory, nothing on disk is written, no lock is taken). Writes fail.
   *
   * @throws StoreException if {@code <dataDir>/db} does not exist or RocksDB cannot open it
   */
  static RocksStore openReadOnly(Path dataDir, StorageConfig config) {
    if (!Files.isDirectory(dataDir.resolve("db"))) {
      throw new StoreException(
          "data dir " + dataDir + ": no database (" + dataDir.resolve("db") + " is missing)");
    }
    return open(dataDir, config, true);
  }

  private static RocksStore open(Path dataDir, StorageConfig config, boolean readOnly) {
    DataDirCheck.requireTemporaOrEmpty(dataDir);
    Builder b = new Builder();
    try {
      if (!readOnly) {
        Files.createDirectories(dataDir.resolve("db"));
      }
      b.build(dataDir.resolve("db"), config, readOnly);
      return new RocksStore(b);
    } catch (RocksDBException | IOException | RuntimeException e) {
      closeAll(b.owned);
      if (e instanceof RuntimeException r && !(e instanceof IllegalArgumentException)) {
        throw r;
      }
      throw new StoreException("open " + dataDir.resolve("db") + ": " + e.getMessage(), e);
    }
  }

  /** Collects native objects as they are created so a failed open can release them. */
  private static final class Builder {
    final Deque<AutoCloseable> owned = new ArrayDeque<>();
    final Map<Cf, ColumnFamilyHandle> handles = new EnumMap<>(Cf.class);
    final List<ColumnFamilyHandle> allHandles = new ArrayList<>();
    RocksDB db;
    ReadOptions readLatest;
    WriteOptions writeNoSync;
    WriteOptions writeSync;
    Statistics statistics;
    RecoveryListener recovery;

    <T extends AutoCloseable> T own(T t) {
      owned.push(t);
      return t;
    }

    void build(Path dir, StorageConfig config, boolean readOnly) throws RocksDBException {
      statistics = own(new Statistics());
      statistics.setStatsLevel(StatsLevel.EXCEPT_DETAILED_TIMERS);
      LRUCache cache = own(new LRUCache(config.blockCacheBytes()));
      BloomFilter bloom = own(new BloomFilter(config.bloomBitsPerKey()));
      WriteBufferManager wbm = own(new WriteBufferManager(config.writeBufferBytes(), cache));
      long memtable = memtableBytes(config.writeBufferBytes());
      // Created before the DB, so it is closed after it.
      recovery = own(new RecoveryListener());
      DBOptions dbOptions =
          own(new DBOptions())
              .setCreateIfMissing(!readOnly)
              .setCreateMissingColumnFamilies(!readOnly)
              .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
              .setMaxTotalWalSize(256 * MIB)
              .setMaxOpenFiles(config.maxOpenFiles())
              .setSkipStatsUpdateOnDbOpen(true)
              .setWalBytesPerSync(MIB)
              .setBytesPerSync(MIB)
              .setMaxBackgroundJobs(config.maxBackgroundJobs())
              .setWriteBufferManager(wbm)
              .setStatistics(statistics)
              // RocksDB's own recovery from background errors (no space: once space is freed;
              // retryable I/O errors), stated explicitly: rocksdbjni has no DB::Resume (§4.4).
              .setMaxBgErrorResumeCount(Integer.MAX_VALUE)
              .setBgerrorResumeRetryInterval(1_000_000)
              .setListeners(List.of(recovery));
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      descriptors.add(
          new ColumnFamilyDescriptor(
              RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions(-1, true, memtable, cache, bloom)));
      // A read-only open cannot create a family a data dir written by an older build lacks.
      List<Cf> opened = readOnly ? existing(dir) : List.of(Cf.values());
      for (Cf cf : opened) {
        descriptors.add(
            new ColumnFamilyDescriptor(
                cf.nameBytes(), cfOptions(cf.prefix(), cf.isWritten(), memtable, cache, bloom)));
      }
      db =
          readOnly
              ? RocksDB.openReadOnly(dbOptions, dir.toString(), descriptors, allHandles)
              : RocksDB.open(dbOptions, dir.toString(), descriptors, allHandles);
      own(db);
      // Handles must close before the DB: push them after it so the reverse order does that.
      allHandles.forEach(this::own);
      for (int i = 0; i < opened.size(); i++) {
        handles.put(opened.get(i), allHandles.get(i + 1));
      }
      for (Cf cf : Cf.values()) {
        // Missing in a read-only open: read the default family instead, which is always empty.
        handles.putIfAbsent(cf, allHandles.get(0));
      }
      readLatest = own(new ReadOptions());
      writeNoSync = own(new WriteOptions().setSync(false).setDisableWAL(false));
      writeSync = own(new WriteOptions().setSync(true).setDisableWAL(false));
    }

    /** The families of {@link Cf} present in the database at {@code dir}. */
    private static List<Cf> existing(Path dir) throws RocksDBException {
      List<byte[]> names;
      try (Options o = new Options()) {
        names = RocksDB.listColumnFamilies(o, dir.toString());
      }
      List<Cf> out = new ArrayList<>();
      for (Cf cf : Cf.values()) {
        if (names.stream().anyMatch(n -> java.util.Arrays.equals(n, cf.nameBytes()))) {
          out.add(cf);
        }
      }
      return out;
    }

    /**
     * @param written false for a family this build never writes: no memtable prefix bloom (each
     *     costs a tenth of the write buffer size, charged to the write buffer manager at once)
     */
    private ColumnFamilyOptions cfOptions(
        int prefix, boolean written, long memtable, LRUCache cache, BloomFilter bloom) {
      BlockBasedTableConfig table =
          new BlockBasedTableConfig()
              .setBlockCache(cache)
              .setCacheIndexAndFilterBlocks(true)
              .setPinL0FilterAndIndexBlocksInCache(true)
              .setIndexType(IndexType.kTwoLevelIndexSearch)
              .setPartitionFilters(prefix >= 0)
              .setWholeKeyFiltering(prefix == 0);
      if (prefix >= 0) {
        table.setFilterPolicy(bloom);
      }
      ColumnFamilyOptions o =
          own(new ColumnFamilyOptions())
              .setTableFormatConfig(table)
              .setCompressionType(CompressionType.LZ4_COMPRESSION)
              .setBottommostCompressionType(CompressionType.ZSTD_COMPRESSION)
              .setLevelCompactionDynamicLevelBytes(true)
              .setWriteBufferSize(memtable);
      if (prefix > 0) {
        o.useFixedLengthPrefixExtractor(prefix).setMemtablePrefixBloomSizeRatio(written ? 0.1 : 0);
      }
      return o;
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }

  ColumnFamilyHandle handle(Cf cf) {
    checkOpen();
    return handles.get(cf);
  }

  RocksDB db() {
    checkOpen();
    return db;
  }

  /** The latest committed value of a key, or null. */
  byte[] get(Cf cf, byte[] key) {
    return get(cf, readLatest, key);
  }

  /** The value of a key as {@code options} sees it (e.g. at a snapshot), or null. */
  byte[] get(Cf cf, ReadOptions options, byte[] key) {
    try {
      return db().get(handle(cf), options, key);
    } catch (RocksDBException e) {
      throw failure("get", cf, e);
    }
  }

  /** Reads a key through a transaction's batch, falling back to the latest committed state. */
  byte[] get(Cf cf, WriteBatchWithIndex batch, byte[] key) {
    try {
      return batch.getFromBatchAndDB(db(), handle(cf), readLatest, key);
    } catch (RocksDBException e) {
      throw failure("get through batch", cf, e);
    }
  }

  /**
   * A raw iterator over {@code [from, to)} at a snapshot (null = latest), merged with a batch (null
   * = none). The caller closes the returned scan, which closes its native objects.
   */
  Scan scan(Cf cf, Snapshot snapshot, WriteBatchWithIndex batch, byte[] from, byte[] to) {
    checkOpen();
    Slice bound = to == null ? null : new Slice(to);
    ReadOptions ro = new ReadOptions();
    try {
      if (snapshot != null) {
        ro.setSnapshot(snapshot);
      }
      if (bound != null) {
        ro.setIterateUpperBound(bound);
      }
      boolean samePrefix = cf.prefix() > 0 && from.length >= cf.prefix();
      ro.setPrefixSameAsStart(samePrefix);
      // A scan across prefixes must not use prefix blooms: they may skip the file or memtable
      // holding a tombstone, and the deleted row would reappear (seen in the ST-T1 crash loop).
      ro.setTotalOrderSeek(cf.prefix() > 0 && !samePrefix);
      RocksIterator base = db.newIterator(handle(cf), ro);
      // The batch iterator takes ownership of the base iterator and deletes it on close.
      RocksIterator it = batch == null ? base : batch.newIteratorWithBase(handle(cf), base, ro);
      return new Scan(it, ro, bound, from, to);
    } catch (RuntimeException e) {
      ro.close();
      if (bound != null) {
        bound.close();
      }
      throw e;
    }
  }

  /**
   * The last committed key-value pair with {@code lowest <= key <= highest} (RocksDB {@code
   * SeekForPrev}: one seek), or null.
   */
  byte[][] lastInRange(Cf cf, byte[] lowest, byte[] highest) {
    checkOpen();
    try (Slice lower = new Slice(lowest);
        ReadOptions ro = new ReadOptions().setIterateLowerBound(lower);
        RocksIterator it = db.newIterator(handle(cf), ro)) {
      it.seekForPrev(highest);
      if (!it.isValid()) {
        it.status();
        return null;
      }
      byte[] k = it.key();
      return java.util.Arrays.compareUnsigned(k, lowest) < 0 ? null : new byte[][] {k, it.value()};
    } catch (RocksDBException e) {
      throw failure("seekForPrev", cf, e);
    }
  }

  /** Reads every SST file and checks its block checksums (RocksDB {@code VerifyChecksum}). */
  void verifyChecksum() {
    try {
      db().verifyChecksum();
    } catch (RocksDBException e) {
      throw new StoreException("verify checksums: " + e.getMessage(), e);
    }
  }

  Snapshot snapshot() {
    return db().getSnapshot();
  }

  void release(Snapshot s) {
    if (!closed) {
      db.releaseSnapshot(s);
    }
  }

  /** Writes a transaction's batch atomically, WAL on, without fsync. */
  void write(WriteBatchWithIndex batch) {
    try {
      db().write(writeNoSync, batch);
    } catch (RocksDBException e) {
      throw failure("write", null, e);
    }
  }

  /** Writes a plain batch (range deletions of retention) atomically, WAL on, without fsync. */
  void write(WriteBatch batch) {
    try {
      db().write(writeNoSync, batch);
    } catch (RocksDBException e) {
      throw failure("write", null, e);
    }
  }

  /**
   * Compacts the whole key range of {@code cf} down to the bottommost level, forcing the bottommost
   * files through compaction too, so deleted keys and range tombstones are dropped (STORAGE.md §8).
   * Blocks until done; automatic compactions keep running meanwhile. {@code options} is the
   * caller's so that it can cancel the call ({@code setCanceled(true)}).
   */
  void compact(Cf cf, CompactRangeOptions options) {
    try {
      options
          .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)
          .setExclusiveManualCompaction(false)
          .setAllowWriteStall(false);
      db().compactRange(handle(cf), null, null, options);
    } catch (RocksDBException e) {
      throw failure("compact", cf, e);
    }
  }

  /**
   * Reclaims the space of a key range whose keys were all removed by a range deletion (history
   * retention, STORAGE.md §8): deletes the SST files lying wholly inside {@code [begin, end)}, then
   * compacts the range with the bottommost level forced, so the files it overlaps drop the deleted
   * keys and the range tombstone. Blocks until done; {@code options} is the caller's so that it can
   * cancel the call.
   */
  void reclaim(Cf cf, byte[] begin, byte[] end, CompactRangeOptions options) {
    try {
      db().deleteFilesInRanges(handle(cf), List.of(begin, end), false);
      options
          .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)
          .setExclusiveManualCompaction(false)
          .setAllowWriteStall(false);
      db().compactRange(handle(cf), begin, end, options);
    } catch (RocksDBException e) {
      throw failure("reclaim", cf, e);
    }
  }

  /**
   * Runs {@code hook} (on a RocksDB background thread: it must only signal, never call into the DB)
   * each time RocksDB finished recovering from a background error.
   */
  void onErrorRecovered(Runnable hook) {
    recovery.hook = hook;
  }

  /** Hears RocksDB's background errors and the end of its recovery from them. */
  private static final class RecoveryListener extends AbstractEventListener {
    volatile Runnable hook = () -> {};

    RecoveryListener() {
      super(
          EnabledEventCallback.ON_BACKGROUND_ERROR,
          EnabledEventCallback.ON_ERROR_RECOVERY_COMPLETED);
    }

    @Override
    public void onBackgroundError(BackgroundErrorReason reason, org.rocksdb.Status status) {
      org.slf4j.LoggerFactory.getLogger(RocksStore.class)
          .warn("RocksDB background error ({}): {}", reason, status.getState());
    }

    @Override
    public void onErrorRecoveryCompleted(org.rocksdb.Status oldBackgroundError) {
      org.slf4j.LoggerFactory.getLogger(RocksStore.class)
          .info("RocksDB recovered from a background error ({})", oldBackgroundError.getState());
      hook.run();
    }
  }

  /** Entries and deletions (point and range) in the live SST files of {@code cf}. */
  SstCounts sstCounts(Cf cf) {
    long files = 0;
    long entries = 0;
    long deletions = 0;
    for (LiveFileMetaData f : db().getLiveFilesMetaData()) {
      if (java.util.Arrays.equals(f.columnFamilyName(), cf.nameBytes())) {
        files++;
        entries += f.numEntries();
        deletions += f.numDeletions();
      }
    }
    return new SstCounts(files, entries, deletions);
  }

  /** What the live SST files of one column family hold. */
  record SstCounts(long files, long entries, long deletions) {}

  /** Writes a plain batch atomically with an fsync (used at database creation only). */
  void writeSync(WriteBatch batch) {
    try {
      db().write(writeSync, batch);
    } catch (RocksDBException e) {
      throw failure("write (sync)", null, e);
    }
  }

  /** Fsyncs the WAL: every write issued before the call is durable once it returns. */
  void syncWal() {
    try {
      db().syncWal();
    } catch (RocksDBException e) {
      throw failure("syncWal", null, e);
    }
  }

  /** Flushes every memtable to SST files and waits, so the next open replays no WAL. */
  void flushAll() {
    try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
      db().flush(fo, allHandles);
    } catch (RocksDBException e) {
      throw failure("flush", null, e);
    }
  }

  /**
   * Each family's memtable size ({@code write_buffer_size}): a sixteenth of the write-buffer budget
   * ({@code storage.write_buffer_mb}), between 1 and 64 MiB. RocksDB's default of 64 MiB for each
   * of the ~20 families reserved more than the 64 MiB budget of {@code StorageConfig.defaults} as
   * soon as their memtables existed (each memtable takes its prefix bloom, a tenth of its size, and
   * an arena block, an eighth, at creation), so the write buffer manager flushed a memtable of a
   * few KiB on almost every write: ~1,100 flushes of 47 KiB average and ~260 compactions per 60,000
   * records, whose background CPU exceeded the writers' own (docs/BENCHMARKS.md, "write path, round
   * 5").
   */
  static long memtableBytes(long writeBufferBytes) {
    return Math.clamp(writeBufferBytes / 16, MIB, 64 * MIB);
  }

  /** Current RocksDB figures (cheap property reads); {@link StorageStats#EMPTY} when closed. */
  StorageStats stats() {
    if (closed) {
      return StorageStats.EMPTY;
    }
    try {
      HistogramData compactionTime = statistics.getHistogramData(HistogramType.COMPACTION_TIME);
      return new StorageStats(
          db.getAggregatedLongProperty("rocksdb.cur-size-all-mem-tables"),
          db.getLongProperty("rocksdb.block-cache-usage"),
          db.getLongProperty("rocksdb.block-cache-capacity"),
          db.getLongProperty("rocksdb.block-cache-pinned-usage"),
          statistics.getTickerCount(TickerType.BLOCK_CACHE_HIT),
          statistics.getTickerCount(TickerType.BLOCK_CACHE_MISS),
          db.getAggregatedLongProperty("rocksdb.estimate-pending-compaction-bytes"),
          db.getLongProperty("rocksdb.num-running-compactions"),
          db.getLongProperty("rocksdb.is-write-stopped") != 0,
          statistics.getTickerCount(TickerType.STALL_MICROS),
          statistics.getTickerCount(TickerType.COMPACT_READ_BYTES),
          statistics.getTickerCount(TickerType.COMPACT_WRITE_BYTES),
          db.getAggregatedLongProperty("rocksdb.live-sst-files-size"),
          db.getAggregatedLongProperty("rocksdb.estimate-num-keys"),
          compactionTime.getCount(),
          compactionTime.getSum(),
          db.getLongProperty("rocksdb.background-errors"),
          statistics.getTickerCount(TickerType.WAL_FILE_BYTES));
    } catch (RocksDBException e) {
      throw failure("stats", null, e);
    }
  }

  /** The statistics object, for metrics. */
  Statistics statistics() {
    checkOpen();
    return statistics;
  }

  static StoreException failure(String op, Cf cf, RocksDBException e) {
    String where = cf == null ? "" : " on column family " + cf.cfName();
    return new StoreException(op + where + " failed: " + e.getMessage(), e);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeAll(owned);
  }

  private static void closeAll(Deque<AutoCloseable> owned) {
    while (!owned.isEmpty()) {
      try {
        owned.pop().close();
      } catch (Exception e) {
        // Closing native objects only fails on programming errors; keep releasing the rest.
        org.slf4j.LoggerFactory.getLogger(RocksStore.class).warn("close failed", e);
      }
    }
  }
}
