package io.tempora.deploy.shard;

import io.tempora.deploy.TemporaCli;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.persistence.CheckpointConfig;
import io.tempora.persistence.HomeDirectory;
import io.tempora.persistence.rocks.ManualCompactions;
import io.tempora.persistence.rocks.Retention;
import io.tempora.persistence.rocks.RocksHomeDirectory;
import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.persistence.rocks.WriteResumer;
import io.tempora.proto.internal.v1.SlotMove;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.grpc.Compactor;
import io.tempora.shardserver.grpc.SlotStore;
import io.tempora.shardserver.grpc.StoreExporter;
import io.tempora.shardserver.ops.OpsHttpServer;
import io.tempora.shardserver.ops.ShardMetrics;
import java.time.Clock;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running shard: health port and HTTP port first (readiness NOT_SERVING while the store opens),
 * then the store, the engine and the main port. {@link #close()} drains the servers, then closes
 * the store (last fsync, memtable flush, {@code ACKED}, RocksDB close). Owns everything it opened.
 */
public final class ShardProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardProcess.class);

  private final ShardServer server;
  private final OpsHttpServer http;
  private final RocksShardStore store;
  private final HomeDirectory directory;
  private final StoreMetrics storeMetrics;
  private final Checkpointing checkpoints;
  private final ManualCompactions compactions;
  private final Retention retention;
  private final WriteResumer resumer;

  private ShardProcess(
      ShardServer server,
      OpsHttpServer http,
      RocksShardStore store,
      HomeDirectory directory,
      StoreMetrics storeMetrics,
      Checkpointing checkpoints,
      ManualCompactions compactions,
      Retention retention,
      WriteResumer resumer) {
    this.resumer = resumer;
    this.compactions = compactions;
    this.retention = retention;
    this.server = server;
    this.http = http;
    this.store = store;
    this.directory = directory;
    this.storeMetrics = storeMetrics;
    this.checkpoints = checkpoints;
  }

  /** Starts a shard; on failure releases what already started and rethrows. */
  public static ShardProcess start(ShardSettings cfg) {
    LOG.info("shard {} recovering from {}", cfg.shardId(), cfg.dataDir());
    // Recovery (RocksDB open, start-up checks) runs on its own thread while this one builds the
    // metrics and starts the health and HTTP ports: both mostly wait on class loading and I/O,
    // and overlapping them shortens the time to the first answer (docs/BENCHMARKS.md).
    Opening opening = Opening.start(cfg);
    ShardMetrics metrics;
    ShardServer server;
    try {
      metrics = new ShardMetrics(cfg.shardId(), TemporaCli.version());
      server = ShardServer.open(cfg.server(), metrics);
    } catch (RuntimeException e) {
      opening.abandon();
      throw e;
    }
    OpsHttpServer http = null;
    RocksShardStore store = null;
    HomeDirectory directory = null;
    StoreMetrics storeMetrics = null;
    Checkpointing checkpoints = null;
    ManualCompactions compactions = null;
    Retention retention = null;
    WriteResumer resumer = null;
    try {
      http =
          OpsHttpServer.start(
              cfg.httpHost(),
              cfg.httpPort(),
              metrics.registry(),
              server::readinessProblem,
              server::livenessProblem);
      LOG.info(
          "shard {} health port {}, http port {}: NOT_SERVING until recovery ends",
          cfg.shardId(),
          server.healthPort(),
          http.port());
      Opened opened = opening.await();
      store = opened.store();
      directory = opened.directory();
      metrics.recovered(opened.recoverySeconds());
      // Finishes an ontology switch the last run left unfinished before anything is served.
      Engine engine =
          new Engine(
              store, new EngineConfig(cfg.shardId(), cfg.limits(), cfg.reindexBatchRecords()));
      storeMetrics = StoreMetrics.start(metrics, store, engine, cfg.statsInterval());
      checkpoints = Checkpointing.start(store, cfg.checkpoints(), metrics, Clock.systemUTC());
      watchWrites(store, server);
      resumer = WriteResumer.start(store, WriteResumer.INTERVAL);
      compactions = new ManualCompactions(store, compactionListener(metrics));
      retention =
          new Retention(
                  store,
                  cfg.retention(),
                  slotMoveCursor(new SlotStore(directory)),
                  Clock.systemUTC())
              .start();
      metrics.gauge(
          "tempora_events_first_kept_tx",
          "First transaction whose events are kept (event retention removed older ones)",
          store::firstEventTx);
      metrics.gauge(
          "tempora_history_first_kept_tx",
          "First transaction whose superseded record versions are all kept (history retention"
              + " removed versions superseded before it; 1 until it removed any)",
          store::historyFromTx);
      metrics.counter(
          "tempora_history_partitions_removed_total",
          "History partitions removed by history retention since start",
          store::historyPartitionsRemoved);
      server.serve(
          engine,
          directory,
          checkpoints,
          new StoreExporter(store, cfg.dataDir(), cfg.shardId(), Clock.systemUTC()),
          compactor(compactions));
    } catch (RuntimeException e) {
      server.close();
      if (store == null) {
        opening.abandon();
      }
      if (resumer != null) {
        resumer.close();
      }
      if (retention != null) {
        retention.close();
      }
      if (compactions != null) {
        compactions.close();
      }
      if (checkpoints != null) {
        checkpoints.close();
      }
      if (storeMetrics != null) {
        storeMetrics.close();
      }
      if (http != null) {
        http.close();
      }
      if (directory != null) {
        directory.close();
      }
      if (store != null) {
        store.close();
      }
      throw e;
    }
    LOG.info(
        "shard {} ready: port {}, health port {}, http port {}, data dir {}",
        cfg.shardId(),
        server.port(),
        server.healthPort(),
        http.port(),
        cfg.dataDir());
    return new ShardProcess(
        server, http, store, directory, storeMetrics, checkpoints, compactions, retention, resumer);
  }

  /** The store and home directory opened by {@link Opening}, and how long recovery took. */
  private record Opened(RocksShardStore store, HomeDirectory directory, double recoverySeconds) {}

  /**
   * Opens the store and the home directory on a thread of its own ({@code tempora-recovery}). Its
   * owner either takes both with {@link #await()} or calls {@link #abandon()}, which waits for the
   * open to end and closes what it opened.
   */
  private static final class Opening {
    private final java.util.concurrent.CompletableFuture<Opened> future =
        new java.util.concurrent.CompletableFuture<>();

    static Opening start(ShardSettings cfg) {
      Opening o = new Opening();
      Thread t =
          new Thread(
              () -> {
                long t0 = System.nanoTime();
                RocksShardStore store = null;
                try {
                  store = RocksShardStore.open(cfg.dataDir(), cfg.storage());
                  double seconds = (System.nanoTime() - t0) / 1e9;
                  o.future.complete(
                      new Opened(store, RocksHomeDirectory.open(cfg.dataDir()), seconds));
                } catch (RuntimeException | Error e) {
                  if (store != null) {
                    store.close();
                  }
                  o.future.completeExceptionally(e);
                }
              },
              "tempora-recovery");
      t.start();
      return o;
    }

    /** Waits for the open; rethrows its failure as it was thrown. */
    Opened await() {
      try {
        return future.join();
      } catch (java.util.concurrent.CompletionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        if (e.getCause() instanceof Error err) {
          throw err;
        }
        throw e;
      }
    }

    /** Waits for the open to end and closes what it opened; its failure, if any, is dropped. */
    void abandon() {
      try {
        Opened opened = await();
        opened.directory().close();
        opened.store().close();
      } catch (RuntimeException e) {
        LOG.debug("store open abandoned: {}", e.getMessage());
      }
    }
  }

  /**
   * STORAGE.md §4.4: a failed write turns readiness NOT_SERVING until a probe write succeeds; a
   * failed WAL fsync ends the process with status 1 at once (no shutdown hooks: after a failed
   * fsync the page cache cannot be trusted, only recovery from disk is safe).
   */
  private static void watchWrites(RocksShardStore store, ShardServer server) {
    store.writeHealth(
        new RocksShardStore.WriteHealth() {
          @Override
          public void writesRefused(String reason) {
            server.writesRefused(reason);
          }

          @Override
          public void writesResumed() {
            server.writesResumed();
          }
        });
    store.onSyncFailure(
        e -> {
          LOG.error("WAL fsync failed, exiting with status 1: {}", e.getMessage(), e);
          Runtime.getRuntime().halt(1);
        });
  }

  /**
   * The first transaction a slot move still reads from the event log (the lowest catch-up cursor of
   * the moves stored on this shard), 0 if none: event retention keeps those events.
   */
  private static LongSupplier slotMoveCursor(SlotStore slots) {
    return () ->
        slots.moves().stream().mapToLong(SlotMove::getFromTx).filter(tx -> tx > 0).min().orElse(0);
  }

  private static ManualCompactions.Listener compactionListener(ShardMetrics metrics) {
    return new ManualCompactions.Listener() {
      @Override
      public void started(List<String> columnFamilies) {
        metrics.manualCompactionStarted();
      }

      @Override
      public void finished(boolean ok, long nanos) {
        metrics.manualCompactionFinished(ok, nanos);
      }
    };
  }

  /** The Compact RPC: starts one, and with {@code wait} waits for it. */
  private static Compactor compactor(ManualCompactions compactions) {
    return (cf, wait) -> {
      ManualCompactions.Started s = compactions.start(cf);
      return new Compactor.Compaction(s.columnFamilies(), wait ? s.await() : null);
    };
  }

  /** The shard's metrics. */
  public ShardMetrics metrics() {
    return server.metrics();
  }

  /**
   * SIGHUP's {@code storage.checkpoint_interval} and {@code storage.checkpoint_retain}: replaces
   * the schedule (the next checkpoint is one new interval away) and the retention.
   */
  void checkpointIntervalChanged(CheckpointConfig config) {
    checkpoints.reconfigure(config);
  }

  /** SIGHUP's event and history retention keys: replaces the policies and the schedule. */
  void retentionChanged(Retention.Config config) {
    retention.reconfigure(config);
  }

  /** Blocks until the servers have terminated. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() {
    try {
      server.close();
    } finally {
      resumer.close();
      retention.close();
      compactions.close();
      checkpoints.close();
      storeMetrics.close();
      http.close();
      try {
        directory.close();
      } finally {
        store.close();
      }
    }
  }
}
