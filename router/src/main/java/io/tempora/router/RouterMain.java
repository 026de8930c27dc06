package io.tempora.router;

import io.tempora.shardserver.ops.OpsHttpServer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs one router: {@code router --listen HOST:PORT --shards H:P,H:P,...}. Serves until SIGTERM or
 * SIGINT, then stops and exits 0. Usage errors exit 2.
 */
@Command(
    name = "router",
    mixinStandardHelpOptions = true,
    description = "Runs one Tempora router in front of shards.")
public final class RouterMain implements Callable<Integer> {
  static {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "tempora-router-logback.xml");
    }
  }

  @Option(names = "--listen", required = true, description = "HOST:PORT of the gRPC port")
  private String listen;

  @Option(
      names = "--shards",
      required = true,
      description =
          "shard addresses HOST:PORT, comma-separated; the position is the shard id. To add a"
              + " shard, append its address and run tempora admin rebalance --add-shard N")
  private String shards;

  @Option(
      names = "--fanout-parallelism",
      defaultValue = "64",
      description =
          "at most this many shard calls of one read at a time (default ${DEFAULT-VALUE})")
  private int fanoutParallelism;

  @Option(
      names = "--fanout-margin-ms",
      defaultValue = "50",
      description =
          "each shard call of a read gets the client's remaining deadline minus this margin"
              + " (default ${DEFAULT-VALUE})")
  private long fanoutMarginMs;

  @Option(
      names = "--read-deadline-ms",
      defaultValue = "10000",
      description = "deadline of a shard read when the client sets none (default ${DEFAULT-VALUE})")
  private long readDeadlineMs;

  @Option(
      names = "--write-deadline-ms",
      defaultValue = "30000",
      description =
          "deadline of an ingest or delete sub-batch when the client sets none"
              + " (default ${DEFAULT-VALUE})")
  private long writeDeadlineMs;

  @Option(
      names = "--reconcile-staleness-ms",
      defaultValue = "2000",
      description =
          "staleness bound of reconciliation: the lease holder polls every shard's change feed"
              + " every quarter of it and reconciles what is pending; 0 turns the loop off"
              + " (default ${DEFAULT-VALUE})")
  private long reconcileStalenessMs;

  @Option(
      names = "--reconcile-lease-ttl-ms",
      defaultValue = "10000",
      description =
          "duration of the reconcile lease (renewed every third of it); a crashed holder's lease"
              + " passes to another router after at most this long (default ${DEFAULT-VALUE})")
  private long leaseTtlMs;

  @Option(
      names = "--reconcile-max-batch",
      defaultValue = "10000",
      description =
          "change events read per shard per reconciliation round, 1..10000; more are split over"
              + " rounds (default ${DEFAULT-VALUE})")
  private int maxBatch;

  @Option(
      names = "--reconcile-rounds-hold-writes",
      defaultValue = "true",
      arity = "1",
      description =
          "reconcile.rounds_hold_writes: this router's client writes wait while its own"
              + " reconciliation round runs (lower lag under steady writes); false lets them"
              + " interleave (lower write latency, higher lag) (default ${DEFAULT-VALUE})")
  private boolean roundsHoldWrites;

  @Option(
      names = "--rebalance-max-freeze-ms",
      defaultValue = "2000",
      description =
          "rebalance.max_freeze: a client write held by a slot move's freeze longer than this"
              + " (1..600000) is answered UNAVAILABLE without being applied; retrying is safe"
              + " (default ${DEFAULT-VALUE})")
  private long maxFreezeMs;

  @Option(
      names = "--router-id",
      description =
          "this router's reconcile lease holder id, unique among the routers (default: random)")
  private String routerId;

  @Option(
      names = "--http-listen",
      description =
          "HOST:PORT of the plaintext HTTP port serving /metrics, /healthz and /readyz"
              + " (default: none)")
  private String httpListen;

  private static Duration positive(long ms) {
    if (ms <= 0) {
      throw new IllegalArgumentException("deadlines must be positive, got " + ms + " ms");
    }
    return Duration.ofMillis(ms);
  }

  /** Entry point; exits with the command's status. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new RouterMain()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    Logger log = LoggerFactory.getLogger(RouterMain.class);
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--listen: " + listen + " is not HOST:PORT");
    }
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--listen: port of " + listen + " is not a number");
    }
    List<String> addresses = Arrays.stream(shards.split(",")).map(String::trim).toList();
    RouterConfig config;
    try {
      config =
          RouterConfig.defaults(listen.substring(0, colon), port, addresses)
              .withFanout(
                  new RouterConfig.FanoutConfig(
                      fanoutParallelism, Duration.ofMillis(fanoutMarginMs)))
              .withDeadlines(positive(writeDeadlineMs), positive(readDeadlineMs))
              .withReconcileStaleness(Duration.ofMillis(reconcileStalenessMs))
              .withReconcile(
                  new RouterConfig.ReconcileConfig(
                      Duration.ofMillis(leaseTtlMs),
                      maxBatch,
                      routerId != null
                          ? routerId
                          : RouterConfig.ReconcileConfig.defaults().holder(),
                      roundsHoldWrites))
              .withRebalance(new RouterConfig.RebalanceConfig(Duration.ofMillis(maxFreezeMs)));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
    RouterServer server = RouterServer.start(config);
    String crashDir = System.getProperty("tempora.test.move-crash-dir");
    if (crashDir != null) {
      log.warn("test hook: moves pause and halt when {}/arm exists", crashDir);
      server.moveHook(new MoveCrashHook(java.nio.file.Path.of(crashDir), server::holdLease));
    }
    OpsHttpServer http = null;
    if (httpListen != null) {
      int c = httpListen.lastIndexOf(':');
      try {
        http =
            OpsHttpServer.start(
                httpListen.substring(0, Math.max(0, c)),
                Integer.parseInt(httpListen.substring(c + 1)),
                server.metrics().registry(),
                () -> null,
                () -> null);
      } catch (RuntimeException e) { // bad address or port taken
        server.close();
        throw new CommandLine.ParameterException(
            new CommandLine(this), "--http-listen: " + httpListen + ": " + e.getMessage());
      }
    }
    OpsHttpServer ops = http;
    log.info("router ready: port {}, shards {}", server.port(), addresses);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("shutdown requested");
                  server.close();
                  if (ops != null) {
                    ops.close();
                  }
                  stopped.countDown();
                  Runtime.getRuntime().halt(0);
                },
                "tempora-router-shutdown-1"));
    server.awaitTermination();
    stopped.await();
    return 0;
  }
}
