package io.tempora.persistence.rocks;

import io.tempora.engine.store.Commit;
import io.tempora.engine.store.Store;
import io.tempora.engine.store.StoreCounts;
import io.tempora.engine.store.StoreException;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.StorageStats;
import io.tempora.persistence.SyncListener;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.ValueCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.rocksdb.RocksDBException;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link Store} on RocksDB (STORAGE.md). Views read a snapshot; the one transaction
 * writes a {@code WriteBatchWithIndex} committed with a single atomic write that also advances
 * {@code meta/last_wseq}. Open reads a constant number of meta keys and checks format version,
 * shard id and the acknowledged watermark (§4.5, §5). Thread-safe: any number of views, one
 * transaction at a time. The opener closes it; close flushes memtables and rewrites {@code ACKED}.
 */
public final class RocksShardStore implements Store {
  private static final Logger LOG = LoggerFactory.getLogger(RocksShardStore.class);

  /** Commits at least this large are logged at INFO (rows, MiB). */
  static final long LARGE_BATCH_BYTES = 64L << 20;

  /** The on-disk format this build reads and writes. */
  public static final int FORMAT_VERSION = 1;

  static final byte[] FORMAT = Keys.meta("format_version");
  static final byte[] SHARD = Keys.meta("shard_id");
  static final byte[] LAST_WSEQ = Keys.meta("last_wseq");
  static final byte[] EVENTS_FROM = Keys.meta("events_from");

  /** Seconds between two tx-time marks (docs/storage.md "Event retention"). */
  static final long MARK_INTERVAL_SECONDS = 60;

  private final Path dataDir;
  private final StorageConfig config;
  private final RocksStore rocks;
  private final Interner interner;
  private final WalSyncer syncer;
  private final DurableViews durableViews;
  private final Semaphore writer = new Semaphore(1, true);
  // While a transaction that spilled is unfinished: the state from before its first piece, which
  // views read (docs/storage.md, "Ontology switch"); null otherwise.
  private final java.util.concurrent.atomic.AtomicReference<DurableViews> jobPin =
      new java.util.concurrent.atomic.AtomicReference<>();
  // Immediate mode: the write sequence of the commit that finished the spilled transaction (0:
  // not yet); the pin goes once the durable view holds it.
  private volatile long jobEndWseq;
  // Written by the writer (under the permit); volatile so that metrics can read it.
  private volatile long lastWseq;
  // Largest committed batch (data bytes) since open; written under the permit.
  private volatile long largestBatchBytes;
  private volatile long lastCommitRows;
  private volatile long lastCommitBytes;
  private long lastAckedWrite;
  private volatile boolean closed;
  // Set by a failed write (STORAGE.md §4.4): writes are refused until a probe write succeeds.
  private volatile StoreException writeFailure;
  private volatile WriteHealth writeHealth = WriteHealth.NONE;
  // The first tx whose events are kept (1: none removed); raised before a retention write.
  private volatile long firstEventTx;
  private volatile java.util.function.LongSupplier clockMillis = System::currentTimeMillis;
  // Tx-time marks, under the writer permit: the last mark written, the last commit advancing tx.
  private long lastMarkSeconds;
  private long lastMarkTx;
  private long lastCommitSeconds;
  private long lastCommitTx;
  // The last commit advancing tx, for readers of the marks: it may not be marked yet.
  private volatile TxMark lastCommit = new TxMark(0, 0);
  // History partitions (STORAGE.md §8): state used under the writer permit.
  private final HistoryPartitions history;
  // The first superseding tx whose versions are kept (meta/history_from); partitions removed.
  private volatile long historyFromTx;
  private final java.util.concurrent.atomic.AtomicLong historyPartitionsRemoved =
      new java.util.concurrent.atomic.AtomicLong();

  private RocksShardStore(
      Path dataDir,
      StorageConfig config,
      RocksStore rocks,
      long lastWseq,
      UnaryOperator<Runnable> walSync) {
    this.dataDir = dataDir;
    this.config = config;
    this.rocks = rocks;
    this.lastWseq = lastWseq;
    this.interner = new Interner(config.internerCacheEntries(), counters(rocks));
    long tx = metaOf(rocks).lastTx();
    this.firstEventTx = Math.max(1, readLong(rocks.get(Cf.META, EVENTS_FROM)));
    byte[][] mark = rocks.lastInRange(Cf.META, Keys.TX_TIME, Keys.txTime(-1L));
    if (mark != null) {
      lastMarkSeconds = Keys.u64(mark[0], Keys.TX_TIME.length);
      lastMarkTx = readLong(mark[1]);
    }
    lastCommitSeconds = lastMarkSeconds;
    lastCommitTx = lastMarkTx;
    lastCommit = new TxMark(lastMarkSeconds, lastMarkTx);
    this.history = HistoryPartitions.load(rocks, config.historyPartition());
    this.historyFromTx =
        HistoryPartitions.From.decode(rocks.get(Cf.META, HistoryPartitions.FROM)).firstKeptTx();
    if (config.durability() == Durability.IMMEDIATE) {
      // What the open recovered counts as durable from here on: make it so.
      rocks.syncWal();
      this.durableViews = new DurableViews(rocks);
    } else {
      this.durableViews = null;
    }
    this.syncer =
        new WalSyncer(
            config,
            new WalSyncer.Mark(lastWseq, tx),
            walSync.apply(rocks::syncWal),
            this::maybeWriteAcked,
            this::captureSyncPoint);
  }

  /** Immediate mode: the snapshot an fsync is about to cover, published once it has. */
  private WalSyncer.SyncPoint captureSyncPoint() {
    DurableViews.Point point = durableViews.capture();
    return new WalSyncer.SyncPoint() {
      @Override
      public WalSyncer.Mark mark() {
        return point.mark();
      }

      @Override
      public void publish() {
        durableViews.publish(point);
      }

      @Override
      public void discard() {
        point.release();
      }
    };
  }

  /**
   * Opens the shard store in {@code dataDir} ({@code <dataDir>/db}, {@code <dataDir>/ACKED}),
   * creating it if empty.
   *
   * @throws StoreException if RocksDB fails, the format version or shard id does not match, data
   *     loss is suspected (message contains "data loss suspected"), or a start-up check of
   *     STORAGE.md §5 steps 4–5 fails (message contains "start-up check failed" and "tempora
   *     verify")
   */
  public static RocksShardStore open(Path dataDir, StorageConfig config) {
    return open(dataDir, config, UnaryOperator.identity());
  }

  /**
   * As {@link #open(Path, StorageConfig)}, the syncer's WAL fsync wrapped (tests delay or fail it).
   */
  static RocksShardStore open(Path dataDir, StorageConfig config, UnaryOperator<Runnable> walSync) {
    RocksStore rocks = RocksStore.open(dataDir, config);
    try {
      byte[] format = rocks.get(Cf.META, FORMAT);
      long lastWseq = readLong(rocks.get(Cf.META, LAST_WSEQ));
      if (format != null) {
        checkFormat(dataDir, format, rocks.get(Cf.META, SHARD), config.shardId());
      } else if (lastWseq != 0) {
        throw new StoreException("data dir " + dataDir + ": meta/format_version is missing");
      }
      checkWatermark(dataDir, config, lastWseq, metaOf(rocks).lastTx());
      if (format == null) {
        initialise(rocks, config.shardId());
        new AckedFile(config.shardId(), 0, 0).write(dataDir);
      } else {
        markLegacyHistory(dataDir, rocks);
        StartupChecks.run(
            dataDir,
            rocks,
            config.shardId(),
            config.startupSample(),
            counters(rocks),
            new java.util.Random());
      }
      LOG.info("shard {} store open at {} (last_wseq {})", config.shardId(), dataDir, lastWseq);
      RocksShardStore store = new RocksShardStore(dataDir, config, rocks, lastWseq, walSync);
      if (lastWseq != 0 && rocks.get(Cf.META, RocksView.COUNT_RECORDS) == null) {
        try {
          store.recountOnce();
        } catch (RuntimeException e) {
          store.close();
          throw e;
        }
      }
      return store;
    } catch (RuntimeException e) {
      rocks.close();
      throw e;
    }
  }

  /**
   * Writes {@code meta/count/*} from a full scan: only for a data dir written before the counters
   * existed (or that never held a record), once; every later write maintains them.
   */
  private void recountOnce() {
    long begin = System.nanoTime();
    StoreCounts c;
    try (StoreView v = view()) {
      c = StoreCounts.recount(v);
    }
    try (WriteBatch b = new WriteBatch()) {
      b.put(rocks.handle(Cf.META), RocksView.COUNT_RECORDS, longValue(c.records()));
      b.put(rocks.handle(Cf.META), RocksView.COUNT_ENTITIES, longValue(c.entities()));
      b.put(rocks.handle(Cf.META), RocksView.COUNT_CONFLICTS, longValue(c.conflicts()));
      rocks.writeSync(b);
    } catch (RocksDBException e) {
      throw RocksStore.failure("write counters", Cf.META, e);
    }
    LOG.info(
        "shard {}: meta/count/* were missing, recounted {} in {} ms",
        config.shardId(),
        c,
        (System.nanoTime() - begin) / 1_000_000);
  }

  private static void checkFormat(Path dataDir, byte[] format, byte[] shard, int shardId) {
    int version = (int) readLong(format);
    if (version != FORMAT_VERSION) {
      throw new StoreException(
          "data dir "
              + dataDir
              + ": format version "
              + version
              + " is not supported; this build reads format version "
              + FORMAT_VERSION);
    }
    long stored = readLong(shard);
    if (stored != shardId) {
      throw new StoreException(
          "data dir " + dataDir + " belongs to shard " + stored + ", not shard " + shardId);
    }
  }

  private static void checkWatermark(
      Path dataDir, StorageConfig config, long lastWseq, long lastTx) {
    String problem =
        switch (AckedFile.read(dataDir)) {
          case AckedFile.Missing m ->
              lastWseq == 0
                  ? null
                  : "ACKED is missing while the database holds writes up to last_wseq " + lastWseq;
          case AckedFile.Unreadable u ->
              lastWseq == 0
                  ? null
                  : "ACKED is unreadable ("
                      + u.reason()
                      + ") while the database holds writes up to last_wseq "
                      + lastWseq;
          case AckedFile.Present p ->
              lastWseq >= p.acked().wseq()
                  ? null
                  : "database last_wseq "
                      + lastWseq
                      + " is below the acknowledged watermark ACKED wseq "
                      + p.acked().wseq();
        };
    if (problem == null) {
      return;
    }
    if (!config.acceptDataLoss()) {
      LOG.error("data loss suspected in {}: {}", dataDir, problem);
      throw new StoreException(
          "data loss suspected in " + dataDir + ": " + problem + " (accept-data-loss not set)");
    }
    LOG.warn("data loss suspected in {}: {}; accepted, rewriting ACKED", dataDir, problem);
    new AckedFile(config.shardId(), lastWseq, lastTx).write(dataDir);
  }

  private static void initialise(RocksStore rocks, int shardId) {
    try (WriteBatch b = new WriteBatch()) {
      b.put(rocks.handle(Cf.META), FORMAT, longValue(FORMAT_VERSION));
      b.put(rocks.handle(Cf.META), SHARD, longValue(shardId));
      b.put(
          rocks.handle(Cf.META),
          HistoryPartitions.LEGACY,
          new HistoryPartitions.Legacy(HistoryPartitions.LEGACY_NONE, 0, 0).encode());
      rocks.writeSync(b);
    } catch (RocksDBException e) {
      throw RocksStore.failure("initialise", Cf.META, e);
    }
  }

  /**
   * The first read-write open of a data dir by a build with history partitions (STORAGE.md §5: one
   * read and one seek, no scan): if {@code record_versions} holds versions in the layout before
   * them, they become the legacy partition, bounded by this open's {@code last_tx} and time (every
   * one was superseded by then); {@code meta/history_legacy} records it, or that there were none.
   */
  private static void markLegacyHistory(Path dataDir, RocksStore rocks) {
    if (rocks.get(Cf.META, HistoryPartitions.LEGACY) != null) {
      return;
    }
    boolean any;
    try (Scan s = rocks.scan(Cf.RECORD_VERSIONS, null, null, new byte[0], null)) {
      any = s.valid();
    }
    HistoryPartitions.Legacy legacy =
        any
            ? new HistoryPartitions.Legacy(
                HistoryPartitions.LEGACY_KEPT,
                metaOf(rocks).lastTx(),
                Math.floorDiv(System.currentTimeMillis(), 1000))
            : new HistoryPartitions.Legacy(HistoryPartitions.LEGACY_NONE, 0, 0);
    try (WriteBatch b = new WriteBatch()) {
      b.put(rocks.handle(Cf.META), HistoryPartitions.LEGACY, legacy.encode());
      rocks.writeSync(b);
    } catch (RocksDBException e) {
      throw RocksStore.failure("mark legacy history", Cf.META, e);
    }
    if (any) {
      LOG.info(
          "{}: record_versions holds versions in the layout before history partitions; they are"
              + " read as the legacy partition (superseded by tx {})",
          dataDir,
          legacy.lastTx());
    }
  }

  private static StoreMeta metaOf(RocksStore rocks) {
    byte[] v = rocks.get(Cf.META, RocksView.STORE_META);
    return v == null ? StoreMeta.INITIAL : ValueCodec.storeMeta(v);
  }

  private static Map<Kind, Long> counters(RocksStore rocks) {
    Map<Kind, Long> out = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      byte[] v = rocks.get(Cf.META, Keys.meta(Interner.counterName(k)));
      out.put(k, v == null ? 1L : readLong(v));
    }
    return out;
  }

  static byte[] longValue(long v) {
    return Interner.Values.id(v);
  }

  static long readLong(byte[] v) {
    return v == null ? 0 : Interner.Values.readId(v);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }

  /**
   * A read view. In {@code immediate} mode it reads the durable read view (STORAGE.md §4.3): the
   * state of the last finished WAL fsync, which holds every acknowledged write and nothing a
   * machine crash could still remove; a write shows once its {@link Commit#awaitDurable()} has
   * returned. Otherwise it reads the latest committed state.
   */
  @Override
  public StoreView view() {
    checkOpen();
    DurableViews.Point point = pinnedPoint();
    if (point == null && durableViews != null) {
      point = durableViews.acquire();
    }
    if (point != null) {
      DurableViews.Point held = point;
      SnapshotSource src = new SnapshotSource(rocks, held.snapshot(), held::release);
      return new RocksView(src, interner, src::close);
    }
    Snapshot snap = rocks.snapshot();
    SnapshotSource src = new SnapshotSource(rocks, snap, () -> rocks.release(snap));
    return new RocksView(src, interner, src::close);
  }

  /**
   * While a transaction that spilled is unfinished, the state from before its first piece (one more
   * reference; the caller releases it), or null. Immediate mode: a durable view older than that
   * state is read instead (it holds no piece either), and once the durable view holds the finishing
   * commit the pin goes.
   */
  private DurableViews.Point pinnedPoint() {
    DurableViews pin = currentPin();
    if (pin == null) {
      return null;
    }
    if (durableViews != null) {
      WalSyncer.Mark durable = durableViews.publishedMark();
      WalSyncer.Mark pinned = pin.publishedMark();
      if (durable != null && pinned != null && durable.wseq() < pinned.wseq()) {
        return null;
      }
    }
    return pin.tryAcquire();
  }

  /** The pin, released first if the durable view holds the commit that finished its job. */
  private DurableViews currentPin() {
    DurableViews pin = jobPin.get();
    if (pin != null && durableViews != null) {
      WalSyncer.Mark durable = durableViews.publishedMark();
      long end = jobEndWseq;
      if (durable != null && end != 0 && durable.wseq() >= end) {
        unpin(pin);
        return null;
      }
    }
    return pin;
  }

  private void unpin(DurableViews pin) {
    if (jobPin.compareAndSet(pin, null)) {
      pin.close();
    }
  }

  /**
   * Called under the writer permit: writes the transaction's batch so far as one atomic write (WAL
   * on, no fsync, no write sequence: nothing is acknowledged) and clears it. The first piece pins
   * the state before it for views; the commit that finishes the transaction releases the pin.
   */
  private void spill(RocksTxn txn) {
    checkOpen();
    BatchSource src = (BatchSource) txn.source();
    if (src.count() == 0) {
      return;
    }
    syncer.checkHealthy();
    DurableViews pin = jobPin.get();
    if (pin != null && jobEndWseq != 0) {
      // The pin of an earlier, committed job whose commit the durable view does not hold yet:
      // this job's pin (taken now) serves views from here on (older durable views still first).
      unpin(pin);
      pin = null;
    }
    if (pin == null) {
      jobEndWseq = 0;
      jobPin.set(new DurableViews(rocks));
    }
    long bytes = src.dataSize();
    try {
      rocks.write(src.batch());
    } catch (StoreException e) {
      writeFailed(e);
      throw e;
    }
    src.clear();
    // Ids allocated so far are taken (the strings are in the store); caches fill at the commit.
    interner.committed(txn.pending());
    if (bytes > largestBatchBytes) {
      largestBatchBytes = bytes;
    }
    LOG.debug("shard {}: spilled a piece of {} bytes", config.shardId(), bytes);
  }

  @Override
  public StoreTxn begin() {
    checkOpen();
    writer.acquireUninterruptibly();
    try {
      checkOpen();
      syncer.checkHealthy();
      checkWritable();
      BatchSource src = new BatchSource(rocks);
      syncer.transactionBegun();
      return new RocksTxn(
          src,
          src,
          interner,
          this::commit,
          this::spill,
          history,
          () -> Math.floorDiv(clockMillis.getAsLong(), 1000),
          () -> {
            src.close();
            syncer.transactionEnded();
            writer.release();
          });
    } catch (RuntimeException e) {
      writer.release();
      throw e;
    }
  }

  /** Called under the writer permit: one atomic write, then the durability handle. */
  private Commit commit(RocksTxn txn) {
    checkOpen();
    BatchSource src = (BatchSource) txn.source();
    if (src.count() == 0 && !txn.hasSpilled()) {
      return Commit.DURABLE;
    }
    syncer.checkHealthy();
    long wseq = lastWseq + 1;
    src.put(Cf.META, LAST_WSEQ, longValue(wseq));
    StoreMeta meta = txn.writtenMeta() != null ? txn.writtenMeta() : txn.meta();
    long now = Math.floorDiv(clockMillis.getAsLong(), 1000);
    boolean advances = meta.lastTx() > lastCommitTx;
    boolean marking = advances && now >= lastMarkSeconds + MARK_INTERVAL_SECONDS;
    if (marking) {
      // "Every tx up to T was committed by S": the previous commit's, then this one's.
      if (lastCommitTx > lastMarkTx) {
        src.put(Cf.META, Keys.txTime(lastCommitSeconds), longValue(lastCommitTx));
      }
      src.put(Cf.META, Keys.txTime(now), longValue(meta.lastTx()));
    }
    HistoryPartitions.Range historyRow = txn.historyRow();
    if (historyRow != null) {
      src.put(Cf.META, HistoryPartitions.metaKey(historyRow.part()), historyRow.encode());
    }
    long bytes = src.dataSize();
    long rows = src.count();
    try {
      rocks.write(src.batch());
    } catch (StoreException e) {
      writeFailed(e);
      throw e;
    }
    lastWseq = wseq;
    lastCommitRows = rows;
    lastCommitBytes = bytes;
    DurableViews pin = jobPin.get();
    if (pin != null) {
      if (durableViews == null) {
        unpin(pin);
      } else {
        jobEndWseq = wseq;
      }
    }
    if (historyRow != null) {
      history.committed(historyRow);
    }
    if (advances) {
      if (marking) {
        lastMarkSeconds = now;
        lastMarkTx = meta.lastTx();
      }
      // A clock that steps back never moves a mark back.
      lastCommitSeconds = Math.max(now, lastMarkSeconds);
      lastCommitTx = meta.lastTx();
      lastCommit = new TxMark(lastCommitSeconds, lastCommitTx);
    }
    if (bytes > largestBatchBytes) {
      largestBatchBytes = bytes;
    }
    if (bytes >= LARGE_BATCH_BYTES) {
      LOG.info(
          "shard {}: large write batch at wseq {} (tx {}): {} rows, {} MiB",
          config.shardId(),
          wseq,
          meta.lastTx(),
          src.count(),
          bytes >> 20);
    }
    Interner.Pending pending = txn.pending();
    interner.committed(pending);
    Commit durable = syncer.written(new WalSyncer.Mark(wseq, meta.lastTx()), bytes);
    // Filling the caches is left to the waiting request thread, outside the writer permit.
    boolean pinned = pin != null && durableViews != null;
    return () -> {
      interner.publish(pending);
      durable.awaitDurable();
      if (pinned) {
        currentPin();
      }
    };
  }

  /**
   * The first transaction whose events are kept: 1 until event retention removed some. Events of
   * older transactions are gone; a reader that asked for them must learn so (read it after reading:
   * it is raised before the deleting write).
   */
  @Override
  public long firstEventTx() {
    return firstEventTx;
  }

  /** The last committed transaction. */
  public long lastTx() {
    return metaOf(rocks).lastTx();
  }

  /**
   * The highest transaction committed at or before {@code epochSeconds} as far as the tx-time marks
   * tell (they are {@value #MARK_INTERVAL_SECONDS} s apart while transactions come), with the
   * mark's time; tx 0 if none is known. One seek.
   */
  public TxMark txCommittedBy(long epochSeconds) {
    if (epochSeconds < 0) {
      return new TxMark(0, 0);
    }
    TxMark unmarked = lastCommit;
    if (unmarked.tx() > 0 && unmarked.epochSeconds() <= epochSeconds) {
      // The last commit is at or before the time asked: every tx is (marks lag behind it).
      return unmarked;
    }
    byte[][] mark = rocks.lastInRange(Cf.META, Keys.TX_TIME, Keys.txTime(epochSeconds));
    return mark == null
        ? new TxMark(0, 0)
        : new TxMark(Keys.u64(mark[0], Keys.TX_TIME.length), readLong(mark[1]));
  }

  /**
   * A tx-time mark: every transaction up to {@code tx} was committed by {@code epochSeconds}.
   *
   * @param epochSeconds UTC seconds (0 with tx 0: no mark)
   * @param tx the highest transaction committed by then
   */
  public record TxMark(long epochSeconds, long tx) {}

  /**
   * Removes the events of every transaction below {@code firstKept} and the tx-time marks older
   * than {@code markSeconds} with one {@code DeleteRange} each, and stores {@code
   * meta/events_from}: one write of its own (a write sequence, no tx), durable when this returns.
   * Nothing happens if {@code firstKept} is not above the current first kept transaction.
   *
   * @return whether anything was removed
   */
  public boolean deleteEventsBefore(long firstKept, long markSeconds) {
    checkOpen();
    Commit durable;
    writer.acquireUninterruptibly();
    try {
      checkOpen();
      syncer.checkHealthy();
      checkWritable();
      if (firstKept <= firstEventTx) {
        return false;
      }
      long wseq = lastWseq + 1;
      long bytes;
      try (WriteBatch b = new WriteBatch()) {
        b.deleteRange(rocks.handle(Cf.EVENTS), Keys.u64(0), Keys.u64(firstKept));
        if (markSeconds > 0) {
          b.deleteRange(rocks.handle(Cf.META), Keys.txTime(0), Keys.txTime(markSeconds));
        }
        b.put(rocks.handle(Cf.META), EVENTS_FROM, longValue(firstKept));
        boolean markPending = lastCommitTx > lastMarkTx;
        if (markPending) {
          // The cut may rest on the last commit, not marked yet: make it survive a restart.
          b.put(rocks.handle(Cf.META), Keys.txTime(lastCommitSeconds), longValue(lastCommitTx));
        }
        b.put(rocks.handle(Cf.META), LAST_WSEQ, longValue(wseq));
        bytes = b.getDataSize();
        // Readers check after reading: raise it first, so none misses the deletion silently.
        firstEventTx = firstKept;
        rocks.write(b);
      } catch (RocksDBException e) {
        throw RocksStore.failure("delete events", Cf.EVENTS, e);
      }
      lastWseq = wseq;
      if (lastCommitTx > lastMarkTx) {
        lastMarkSeconds = lastCommitSeconds;
        lastMarkTx = lastCommitTx;
      }
      durable = syncer.written(new WalSyncer.Mark(wseq, metaOf(rocks).lastTx()), bytes);
    } finally {
      writer.release();
    }
    durable.awaitDurable();
    return true;
  }

  /**
   * The first transaction whose superseded versions are all kept: 1 until history retention removed
   * a partition (STORAGE.md §8). Views read it from their snapshot ({@code meta/history_from});
   * this is the latest value, for metrics.
   */
  public long historyFromTx() {
    return historyFromTx;
  }

  /** History partitions removed by retention since the store opened (legacy one included). */
  public long historyPartitionsRemoved() {
    return historyPartitionsRemoved.get();
  }

  /**
   * What one history removal did.
   *
   * @param removed the partition rows removed, ascending (the legacy partition as part -1)
   * @param firstKeptTx the first superseding tx whose versions are kept afterwards
   */
  record HistoryRemoval(List<HistoryPartitions.Range> removed, long firstKeptTx) {
    public HistoryRemoval {
      removed = List.copyOf(removed);
    }

    /** Partitions removed (the legacy one counts as one). */
    int partitions() {
      return removed.size();
    }
  }

  /** Part number standing for the legacy partition in {@link HistoryRemoval#removed()}. */
  static final long LEGACY_PART = -1;

  /**
   * History retention's write (STORAGE.md §8): under the writer permit, takes the oldest history
   * partitions (the legacy one first) while {@code expired} holds for them, and removes them in one
   * batch of its own (a write sequence, no tx): one {@code DeleteRange} per partition on {@code
   * record_history} (the whole of {@code record_versions} for the legacy one) with the deletion of
   * its {@code meta/history/<part>} row, and {@code meta/history_from}. Durable when this returns.
   * Only a prefix of the partitions goes, so every record keeps a suffix of its history. The space
   * is reclaimed afterwards by {@link #reclaimHistory}.
   */
  HistoryRemoval removeHistory(Predicate<HistoryPartitions.Range> expired) {
    checkOpen();
    Commit durable;
    List<HistoryPartitions.Range> gone = new ArrayList<>();
    long firstKept;
    writer.acquireUninterruptibly();
    try {
      checkOpen();
      syncer.checkHealthy();
      checkWritable();
      HistoryPartitions.Legacy legacy =
          HistoryPartitions.Legacy.decode(rocks.get(Cf.META, HistoryPartitions.LEGACY));
      boolean legacyGoes = false;
      if (legacy != null && legacy.state() == HistoryPartitions.LEGACY_KEPT) {
        HistoryPartitions.Range asRange =
            new HistoryPartitions.Range(
                LEGACY_PART, 1, legacy.lastTx(), legacy.seconds(), legacy.seconds());
        if (!expired.test(asRange)) {
          return new HistoryRemoval(List.of(), historyFromTx);
        }
        legacyGoes = true;
        gone.add(asRange);
      }
      for (HistoryPartitions.Range r :
          HistoryPartitions.list(new DataDirVerifier.LatestSource(rocks))) {
        if (!expired.test(r)) {
          break;
        }
        gone.add(r);
      }
      if (gone.isEmpty()) {
        return new HistoryRemoval(List.of(), historyFromTx);
      }
      firstKept = Math.max(historyFromTx, gone.get(gone.size() - 1).lastTx() + 1);
      long wseq = lastWseq + 1;
      long bytes;
      try (WriteBatch b = new WriteBatch()) {
        if (legacyGoes) {
          byte[][] all = HistoryPartitions.legacyRange();
          b.deleteRange(rocks.handle(Cf.RECORD_VERSIONS), all[0], all[1]);
          b.put(
              rocks.handle(Cf.META),
              HistoryPartitions.LEGACY,
              new HistoryPartitions.Legacy(
                      HistoryPartitions.LEGACY_REMOVED, legacy.lastTx(), legacy.seconds())
                  .encode());
        }
        long lastGone = -1;
        for (HistoryPartitions.Range r : gone) {
          if (r.part() == LEGACY_PART) {
            continue;
          }
          b.deleteRange(
              rocks.handle(Cf.RECORD_HISTORY),
              HistoryPartitions.start(r.part()),
              HistoryPartitions.end(r.part()));
          b.delete(rocks.handle(Cf.META), HistoryPartitions.metaKey(r.part()));
          lastGone = r.part();
        }
        b.put(rocks.handle(Cf.META), HistoryPartitions.FROM, history.from(firstKept).encode());
        b.put(rocks.handle(Cf.META), LAST_WSEQ, longValue(wseq));
        bytes = b.getDataSize();
        rocks.write(b);
        if (lastGone >= 0) {
          history.removedThrough(lastGone);
        }
      } catch (RocksDBException e) {
        throw RocksStore.failure("remove history", Cf.RECORD_HISTORY, e);
      }
      lastWseq = wseq;
      historyFromTx = firstKept;
      historyPartitionsRemoved.addAndGet(gone.size());
      durable = syncer.written(new WalSyncer.Mark(wseq, metaOf(rocks).lastTx()), bytes);
    } finally {
      writer.release();
    }
    durable.awaitDurable();
    return new HistoryRemoval(gone, firstKept);
  }

  /**
   * Reclaims the space of removed history partitions: {@code deleteFilesInRanges} and a compaction
   * of each removed range (STORAGE.md §8). Blocks; {@code options} lets the caller cancel it.
   */
  void reclaimHistory(HistoryRemoval removal, org.rocksdb.CompactRangeOptions options) {
    checkOpen();
    for (HistoryPartitions.Range r : removal.removed()) {
      if (r.part() == LEGACY_PART) {
        byte[][] all = HistoryPartitions.legacyRange();
        rocks.reclaim(Cf.RECORD_VERSIONS, all[0], all[1], options);
      } else {
        rocks.reclaim(
            Cf.RECORD_HISTORY,
            HistoryPartitions.start(r.part()),
            HistoryPartitions.end(r.part()),
            options);
      }
    }
  }

  /** Hears when writes stop and start again after a failed write (readiness). */
  public interface WriteHealth {
    /** Ignores everything. */
    WriteHealth NONE =
        new WriteHealth() {
          @Override
          public void writesRefused(String reason) {}

          @Override
          public void writesResumed() {}
        };

    /** A write failed; writes are refused from now on. */
    void writesRefused(String reason);

    /** A probe write succeeded; writes are accepted again. */
    void writesResumed();
  }

  /** Tells {@code health} when writes stop and resume (STORAGE.md §4.4). */
  public void writeHealth(WriteHealth health) {
    this.writeHealth = health;
  }

  /**
   * Runs {@code hook} each time RocksDB finished its own recovery from a background error (on a
   * RocksDB thread: signal only, e.g. to call {@link #tryResumeWrites()} elsewhere).
   */
  public void onErrorRecovered(Runnable hook) {
    rocks.onErrorRecovered(hook);
  }

  /** Tells {@code onFailure} (on the syncer thread) when a WAL fsync failed (§4.4: exit 1). */
  public void onSyncFailure(java.util.function.Consumer<StoreException> onFailure) {
    syncer.onFailure(onFailure);
  }

  private void writeFailed(StoreException e) {
    if (writeFailure == null) {
      LOG.error(
          "shard {}: write failed, refusing writes until a probe write succeeds: {}",
          config.shardId(),
          e.getMessage());
    }
    writeFailure = e;
    writeHealth.writesRefused(e.getMessage());
  }

  private void checkWritable() {
    StoreException f = writeFailure;
    if (f != null) {
      throw new StoreException(
          "writes refused after a failed write ("
              + f.getMessage()
              + "); reads go on, writes resume once RocksDB recovers",
          f);
    }
  }

  /** Why writes are refused, or null if they are accepted. */
  public String writesRefused() {
    StoreException f = writeFailure;
    return f == null ? null : f.getMessage();
  }

  /**
   * After a failed write: tries one probe write (its own write sequence, no tx: {@code
   * meta/last_wseq} only). If RocksDB accepts it (its automatic recovery cleared the background
   * error, e.g. after space was freed), writes are accepted again. rocksdbjni has no {@code
   * DB::Resume}, so this is the closest equivalent (docs/storage.md "Write failures").
   *
   * @return true if writes are accepted (also when none had failed)
   */
  public boolean tryResumeWrites() {
    if (writeFailure == null) {
      return true;
    }
    Commit durable;
    writer.acquireUninterruptibly();
    try {
      checkOpen();
      if (writeFailure == null) {
        return true;
      }
      long wseq = lastWseq + 1;
      try (WriteBatch b = new WriteBatch()) {
        b.put(rocks.handle(Cf.META), LAST_WSEQ, longValue(wseq));
        rocks.write(b);
      } catch (RocksDBException | StoreException e) {
        LOG.warn("shard {}: writes still refused: {}", config.shardId(), e.getMessage());
        return false;
      }
      lastWseq = wseq;
      durable = syncer.written(new WalSyncer.Mark(wseq, metaOf(rocks).lastTx()), 16);
    } finally {
      writer.release();
    }
    durable.awaitDurable();
    writeFailure = null;
    LOG.info("shard {}: a probe write succeeded, writes accepted again", config.shardId());
    writeHealth.writesResumed();
    return true;
  }

  /** Tests: the wall clock the tx-time marks use. */
  void clock(java.util.function.LongSupplier millis) {
    this.clockMillis = millis;
  }

  private void maybeWriteAcked(WalSyncer.Mark mark) {
    long now = System.nanoTime();
    if (now - lastAckedWrite < config.watermarkInterval().toNanos()) {
      return;
    }
    lastAckedWrite = now;
    new AckedFile(config.shardId(), mark.wseq(), mark.tx()).write(dataDir);
  }

  /**
   * Checks one snapshot for consistency between records, identity, attr_value, key_postings,
   * memberships and the interner (read-only; see docs/storage.md for what is not checked yet).
   *
   * @return per problem class a count and up to ten examples; empty when consistent
   */
  public Map<String, String> verify() {
    try (RocksView v = (RocksView) view()) {
      Map<String, String> out = new java.util.TreeMap<>();
      StoreVerifier.verify(v)
          .forEach((k, p) -> out.put(k, p.count() + " e.g. " + String.join("; ", p.examples())));
      return out;
    }
  }

  /**
   * Runs {@code action} with the writer paused (no transaction open) after flushing every memtable
   * and syncing the WAL, passing the last committed wseq and tx: every acknowledged write is in the
   * database files when it runs. Used by checkpoints (STORAGE.md §6.1).
   */
  <T> T whilePaused(java.util.function.Function<WalSyncer.Mark, T> action) {
    checkOpen();
    writer.acquireUninterruptibly();
    try {
      checkOpen();
      rocks.flushAll();
      rocks.syncWal();
      return action.apply(new WalSyncer.Mark(lastWseq, metaOf(rocks).lastTx()));
    } finally {
      writer.release();
    }
  }

  /** The data directory. */
  public Path dataDir() {
    return dataDir;
  }

  /** The owner of the native objects, for tests in this package. */
  RocksStore rocks() {
    return rocks;
  }

  /**
   * The data size of the largest batch committed since open, in bytes (an ontology switch commits
   * one batch whose size grows with the rows it changes; docs/storage.md, "Ontology switch").
   */
  public long largestBatchBytes() {
    return largestBatchBytes;
  }

  /**
   * The rows (puts and deletes) of the last commit's batch, and its data size in bytes: for a
   * transaction that spilled, only the rest after its last piece (the finishing commit of an
   * ontology switch; docs/storage.md, "Ontology switch"). 0 before the first commit.
   */
  public long lastCommitRows() {
    return lastCommitRows;
  }

  /** See {@link #lastCommitRows()}. */
  public long lastCommitBytes() {
    return lastCommitBytes;
  }

  /** WAL fsyncs issued by the syncer so far (group commit makes this less than commits). */
  public long walSyncCount() {
    return syncer.syncCount();
  }

  /** Tells {@code listener} about every WAL fsync from now on (metrics). */
  public void syncListener(SyncListener listener) {
    syncer.listener(listener);
  }

  /** Current RocksDB figures for metrics; all zero once closed. Thread-safe. */
  public StorageStats stats() {
    return closed ? StorageStats.EMPTY : rocks.stats();
  }

  @Override
  public void writersQueued(java.util.function.IntSupplier queued) {
    syncer.writersQueued(queued);
  }

  /** The write sequence of the last batch written to RocksDB (applied, maybe not yet durable). */
  public long appliedWseq() {
    return lastWseq;
  }

  /**
   * The write sequence of the last batch known durable: fsynced ({@code immediate}, {@code
   * batched}) or, in {@code async} mode, the last one at open.
   */
  public long durableWseq() {
    return syncer.durable().wseq();
  }

  /** Commits made durable by the syncer's fsyncs; divided by {@link #walSyncCount()}: per fsync. */
  public long walSyncedCommits() {
    return syncer.syncedCommits();
  }

  /** Fsyncs held back by {@code storage.group_commit_max_wait_us} to gather further commits. */
  public long groupCommitWaits() {
    return syncer.groupWaits();
  }

  /** The configuration. */
  public StorageConfig config() {
    return config;
  }

  /**
   * Stops the syncer after a last fsync, waits for a running transaction, flushes every memtable,
   * rewrites {@code ACKED} with the last write and closes RocksDB. Views still open must be closed
   * first by their owners.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    writer.acquireUninterruptibly();
    try {
      if (closed) {
        return;
      }
      closed = true;
      syncer.close();
      DurableViews pin = jobPin.getAndSet(null);
      if (pin != null) {
        pin.close();
      }
      if (durableViews != null) {
        durableViews.close();
      }
      try {
        rocks.flushAll();
        rocks.syncWal();
        StoreMeta meta = metaOf(rocks);
        new AckedFile(config.shardId(), lastWseq, meta.lastTx()).write(dataDir);
      } finally {
        rocks.close();
      }
      LOG.info("shard {} store closed (last_wseq {})", config.shardId(), lastWseq);
    } finally {
      writer.release();
    }
  }

  /** Reads at one snapshot; releases it on close. */
  private static final class SnapshotSource implements Source {
    private final RocksStore rocks;
    private final Snapshot snapshot;
    private final Runnable release;
    private final org.rocksdb.ReadOptions options;

    SnapshotSource(RocksStore rocks, Snapshot snapshot, Runnable release) {
      this.rocks = rocks;
      this.snapshot = snapshot;
      this.release = release;
      this.options = new org.rocksdb.ReadOptions().setSnapshot(snapshot);
    }

    @Override
    public byte[] get(Cf cf, byte[] key) {
      return rocks.get(cf, options, key);
    }

    @Override
    public Scan scan(Cf cf, byte[] from, byte[] to) {
      return rocks.scan(cf, snapshot, null, from, to);
    }

    @Override
    public boolean isTransactional() {
      return false;
    }

    void close() {
      options.close();
      release.run();
    }
  }

  /** Keys a write transaction remembers the reads of (tests go beyond it). */
  static int rememberedKeys() {
    return BatchSource.REMEMBERED_KEYS;
  }

  /**
   * A transaction's batch over the latest state. Point reads of {@link #REMEMBERED} families are
   * remembered for the rest of the transaction, and so are its puts and deletes in them, up to
   * {@link #REMEMBERED_KEYS} keys: the transaction holds the writer permit, so nothing but its own
   * writes changes what such a key reads until it ends. A request reads each record's entity about
   * four times (docs/BENCHMARKS.md, 2026-11-22); each read returns its own copy of the bytes.
   */
  private static final class BatchSource implements Source, Batch {
    /** The families whose point reads are remembered: read again within one request. */
    static final Set<Cf> REMEMBERED = EnumSet.of(Cf.RECORD_ENTITY, Cf.ENTITY_IDS);

    /** Keys remembered per transaction (and per spilled piece); reads beyond go to RocksDB. */
    static final int REMEMBERED_KEYS = 16_384;

    private static final byte[] ABSENT = new byte[0];

    private final RocksStore rocks;
    private final WriteBatchWithIndex batch = new WriteBatchWithIndex(true);
    private final Map<RowKey, byte[]> remembered = new HashMap<>();
    private long bytes;

    /** A column family and key, compared by content. */
    private static final class RowKey {
      private final Cf cf;
      private final byte[] key;
      private final int hash;

      RowKey(Cf cf, byte[] key) {
        this.cf = cf;
        this.key = key;
        this.hash = 31 * cf.ordinal() + Arrays.hashCode(key);
      }

      @Override
      public boolean equals(Object o) {
        return o instanceof RowKey r && r.cf == cf && Arrays.equals(r.key, key);
      }

      @Override
      public int hashCode() {
        return hash;
      }
    }

    BatchSource(RocksStore rocks) {
      this.rocks = rocks;
    }

    WriteBatchWithIndex batch() {
      return batch;
    }

    int count() {
      return batch.count();
    }

    /** Approximate WAL bytes of the batch: the keys and values put or deleted. */
    long dataSize() {
      return bytes;
    }

    @Override
    public byte[] get(Cf cf, byte[] key) {
      if (!REMEMBERED.contains(cf)) {
        return rocks.get(cf, batch, key);
      }
      byte[] known = remembered.get(new RowKey(cf, key));
      if (known != null) {
        return known == ABSENT ? null : known.clone();
      }
      byte[] v = rocks.get(cf, batch, key);
      if (remembered.size() < REMEMBERED_KEYS) {
        remembered.put(new RowKey(cf, key.clone()), v == null ? ABSENT : v.clone());
      }
      return v;
    }

    /** After a put ({@code value}) or delete ({@code null}) of {@code key}: what it reads now. */
    private void written(Cf cf, byte[] key, byte[] value) {
      if (!REMEMBERED.contains(cf)) {
        return;
      }
      RowKey k = new RowKey(cf, key.clone());
      if (remembered.size() < REMEMBERED_KEYS || remembered.containsKey(k)) {
        remembered.put(k, value == null ? ABSENT : value.clone());
      }
    }

    @Override
    public Scan scan(Cf cf, byte[] from, byte[] to) {
      return rocks.scan(cf, null, batch, from, to);
    }

    @Override
    public boolean isTransactional() {
      return true;
    }

    @Override
    public void put(Cf cf, byte[] key, byte[] value) {
      try {
        batch.put(rocks.handle(cf), key, value);
        bytes += key.length + value.length;
      } catch (RocksDBException e) {
        remembered.clear();
        throw RocksStore.failure("batch put", cf, e);
      }
      written(cf, key, value);
    }

    @Override
    public void delete(Cf cf, byte[] key) {
      try {
        batch.delete(rocks.handle(cf), key);
        bytes += key.length;
      } catch (RocksDBException e) {
        remembered.clear();
        throw RocksStore.failure("batch delete", cf, e);
      }
      written(cf, key, null);
    }

    /** Empties the batch after a spill: reads go to the latest state, which now holds it. */
    void clear() {
      batch.clear();
      bytes = 0;
      remembered.clear();
    }

    void close() {
      batch.close();
    }
  }
}
