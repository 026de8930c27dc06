package io.tempora.shardserver;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.store.Store;
import io.tempora.persistence.HomeDirectory;
import io.tempora.persistence.rocks.RocksHomeDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs one shard: {@code shard --listen HOST:PORT --shard-id N --data-dir DIR}. Serves until
 * SIGTERM or SIGINT, then drains (OPERATIONS.md §3) and exits 0. Usage errors exit 2.
 */
@Command(name = "shard", mixinStandardHelpOptions = true, description = "Runs one Tempora shard.")
public final class ShardMain implements Callable<Integer> {
  static {
    // Before the first logger exists: the shard's own default configuration (INFO to stdout).
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "tempora-shard-logback.xml");
    }
  }

  @Option(names = "--listen", required = true, description = "HOST:PORT of the gRPC port")
  private String listen;

  @Option(names = "--shard-id", required = true, description = "this shard's id, 0..65535")
  private int shardId;

  @Option(names = "--data-dir", required = true, description = "the shard's data directory")
  private Path dataDir;

  @Option(
      names = "--health-port",
      description = "plaintext health port (default: main port + 1000; 0 = any free port)")
  private Integer healthPort;

  @Option(
      names = "--drain-delay-ms",
      hidden = true,
      defaultValue = "5000",
      description = "how long readiness is NOT_SERVING before the listener closes")
  private long drainDelayMs;

  @Option(
      names = "--grace-ms",
      hidden = true,
      defaultValue = "45000",
      description = "how long calls in flight may take to finish at shutdown")
  private long graceMs;

  /** Entry point; exits with the command's status. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ShardMain()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    Logger log = LoggerFactory.getLogger(ShardMain.class);
    ShardServerConfig config = config();
    Store store = ShardStores.open(dataDir, shardId);
    HomeDirectory directory;
    ShardServer server;
    try {
      directory = RocksHomeDirectory.open(dataDir);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    try {
      Engine engine = new Engine(store, new EngineConfig(shardId, Limits.defaults()));
      server = ShardServer.start(config, engine, directory);
    } catch (RuntimeException e) {
      directory.close();
      store.close();
      throw e;
    }
    log.info(
        "shard {} ready: port {}, health port {}, data dir {}",
        shardId,
        server.port(),
        server.healthPort(),
        dataDir);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> drain(server, store, directory, log, stopped), "tempora-shard-shutdown-1"));
    server.awaitTermination();
    stopped.await();
    return 0;
  }

  /** The shutdown hook: drain, close the store, then end the JVM with 0 (not 143 for SIGTERM). */
  private static void drain(
      ShardServer server,
      Store store,
      HomeDirectory directory,
      Logger log,
      CountDownLatch stopped) {
    log.info("shutdown requested; draining");
    try {
      server.close();
    } finally {
      directory.close();
      store.close();
      log.info("shard stopped");
      stopped.countDown();
    }
    // A signal-initiated exit would report 128 + signal; an orderly drain is a success.
    Runtime.getRuntime().halt(0);
  }

  private ShardServerConfig config() {
    if (shardId < 0 || shardId > 0xFFFF) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--shard-id: " + shardId + " must be in 0..65535");
    }
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--listen: " + listen + " is not HOST:PORT");
    }
    String host = listen.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--listen: port of " + listen + " is not a number");
    }
    ShardServerConfig config =
        ShardServerConfig.defaults(host, port)
            .withShutdown(Duration.ofMillis(drainDelayMs), Duration.ofMillis(graceMs));
    return healthPort == null ? config : config.withHealthPort(healthPort);
  }
}
