package io.tempora.deploy.shard;

import io.tempora.deploy.Logging;
import io.tempora.deploy.Signals;
import io.tempora.deploy.config.ConfigKeys;
import io.tempora.deploy.config.ConfigLoader;
import io.tempora.deploy.config.ConfigLoader.Flag;
import io.tempora.deploy.config.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tempora shard --listen HOST:PORT --shard-id N --data-dir DIR}: runs one shard until
 * SIGTERM or SIGINT, then drains (OPERATIONS.md §3) and exits 0; SIGHUP reloads the reloadable
 * keys.
 */
@Command(
    name = "shard",
    mixinStandardHelpOptions = true,
    description = "Runs one Tempora shard. Keys: docs/configuration.md.")
public final class ShardCommand implements Callable<Integer> {
  @Option(names = "--listen", paramLabel = "HOST:PORT", description = "gRPC address (shard.listen)")
  private String listen;

  @Option(names = "--shard-id", paramLabel = "N", description = "shard id 0..65535 (shard.id)")
  private String shardId;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "data directory (shard.data_dir)")
  private String dataDir;

  @Option(names = "--config", paramLabel = "FILE", description = "TOML configuration file")
  private Path config;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "set any configuration key; repeatable")
  private List<String> sets = new ArrayList<>();

  @Option(names = "--accept-data-loss", description = "open despite a watermark mismatch")
  private boolean acceptDataLoss;

  @Option(names = "--insecure", description = "allow a non-loopback address without TLS/tokens")
  private boolean insecure;

  @Option(names = "--print-config", description = "print the effective configuration and exit")
  private boolean printConfig;

  @Override
  public Integer call() throws InterruptedException {
    Settings settings = load();
    if (printConfig) {
      System.out.print(settings.describe());
      return 0;
    }
    ShardSettings shard = ShardSettings.of(settings);
    Logging.configure(
        settings.string(ConfigKeys.LOG_LEVEL), settings.string(ConfigKeys.LOG_FORMAT));
    Logger log = LoggerFactory.getLogger(ShardCommand.class);
    log.info("effective configuration:\n{}", settings.describe().stripTrailing());
    // SIGHUP is handled from before the shard reports ready: one arriving during start-up is
    // applied as soon as the process exists, instead of hitting the JVM's default handler.
    HupQueue hup = new HupQueue();
    Signals.handle("HUP", hup::signalled);
    ShardProcess process = ShardProcess.start(shard);
    hup.ready(new Reloader(settings, this::load, process));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> stop(process, log, stopped), "tempora-deploy-shutdown-1"));
    process.awaitTermination();
    stopped.await();
    return 0;
  }

  /** The shutdown hook: drain, close the store, then end the JVM with 0 (not 143 for SIGTERM). */
  private static void stop(ShardProcess process, Logger log, CountDownLatch stopped) {
    log.info("shutdown requested; draining");
    try {
      process.close();
    } finally {
      log.info("shard stopped");
      stopped.countDown();
    }
    // A signal-initiated exit would report 128 + signal; an orderly drain is a success.
    Runtime.getRuntime().halt(0);
  }

  /** Loads the layered configuration from the file, environment and this command's flags. */
  Settings load() {
    return load(System.getenv());
  }

  Settings load(Map<String, String> env) {
    List<Flag> flags = new ArrayList<>();
    named(flags, ConfigKeys.SHARD_LISTEN, listen, "--listen");
    named(flags, ConfigKeys.SHARD_ID, shardId, "--shard-id");
    named(flags, ConfigKeys.SHARD_DATA_DIR, dataDir, "--data-dir");
    if (acceptDataLoss) {
      named(flags, ConfigKeys.SHARD_ACCEPT_DATA_LOSS, "true", "--accept-data-loss");
    }
    if (insecure) {
      named(flags, ConfigKeys.SECURITY_ALLOW_INSECURE, "true", "--insecure");
    }
    for (String s : sets) {
      flags.add(ConfigLoader.setFlag(s));
    }
    return ConfigLoader.load(config, env, flags);
  }

  private static void named(List<Flag> flags, String key, String value, String flag) {
    if (value != null) {
      flags.add(new Flag(key, value, flag));
    }
  }

  /** Holds SIGHUPs that arrive before the reloader exists; thread-safe. */
  private static final class HupQueue {
    private Reloader reloader;
    private boolean pending;

    synchronized void signalled() {
      if (reloader == null) {
        pending = true;
      } else {
        reloader.reload();
      }
    }

    synchronized void ready(Reloader r) {
      reloader = r;
      if (pending) {
        pending = false;
        r.reload();
      }
    }
  }
}
