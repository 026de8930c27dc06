package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's class-data sharing (docs/configuration.md "Launcher") on real shard processes
 * started through {@code bin/shard}: the first process writes the archive when it exits, the next
 * one loads Tempora's classes from it, and {@code TEMPORA_CDS=off} writes none. Also the JIT
 * options the launcher sets for a shard and for a router.
 */
class LauncherCdsIT {
  @TempDir Path tmp;
  private List<String> lastArguments = List.of();

  @Test
  void shardStart_afterAFirstCleanExit_loadsClassesFromTheArchive() throws Exception {
    Path cache = tmp.resolve("cache");

    assertThat(runOnce(Map.of("XDG_CACHE_HOME", cache.toString()), "first")).isZero();
    List<Path> archives = archives(cache);
    assertThat(archives).hasSize(1);
    assertThat(archives.getFirst().getFileName().toString()).startsWith("shard-").endsWith(".jsa");
    assertThat(Files.size(archives.getFirst())).isGreaterThan(1 << 20);

    Path classLog = tmp.resolve("classes.log");
    int exit =
        runOnce(
            Map.of(
                "XDG_CACHE_HOME",
                cache.toString(),
                "JAVA_OPTS",
                "-Xlog:class+load=info:file=" + classLog),
            "second");

    assertThat(exit).isZero();
    assertThat(Files.readString(classLog))
        .containsPattern(
            "io\\.tempora\\.deploy\\.shard\\.ShardProcess source: shared objects file \\(top\\)");
  }

  @Test
  void shardStart_withAotModeAfterAFirstCleanExit_loadsClassesFromTheAotCache() throws Exception {
    Path cache = tmp.resolve("cache-aot");
    Map<String, String> aot = Map.of("XDG_CACHE_HOME", cache.toString(), "TEMPORA_CDS", "aot");

    assertThat(runOnce(aot, "aot-first")).isZero();
    if (read(tmp.resolve("aot-first.log")).contains("TEMPORA_CDS=aot needs a JDK >= 25")) {
      // An older JDK: the launcher said so and fell back to the class-data archive.
      assertThat(archives(cache)).hasSize(1);
      return;
    }
    List<Path> caches = files(cache, ".aot");
    assertThat(caches).hasSize(1);
    assertThat(caches.getFirst().getFileName().toString()).startsWith("shard-");
    assertThat(Files.size(caches.getFirst())).isGreaterThan(1 << 20);
    assertThat(archives(cache)).as("no class-data archive besides the AOT cache").isEmpty();

    Path classLog = tmp.resolve("aot-classes.log");
    Map<String, String> second = new java.util.HashMap<>(aot);
    second.put("JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog);
    assertThat(runOnce(second, "aot-second")).isZero();

    assertThat(lastArguments).contains("-XX:AOTCache=" + caches.getFirst());
    assertThat(Files.readString(classLog))
        .containsPattern(
            "io\\.tempora\\.deploy\\.shard\\.ShardProcess source: shared objects file");
  }

  @Test
  void shardStart_withCdsOff_writesNoArchive() throws Exception {
    Path cache = tmp.resolve("cache-off");

    int exit = runOnce(Map.of("XDG_CACHE_HOME", cache.toString(), "TEMPORA_CDS", "off"), "off");

    assertThat(exit).isZero();
    assertThat(archives(cache)).isEmpty();
  }

  @Test
  void shardStart_throughTheLauncher_triplesTheJitThresholdsUnlessJavaOptsSayOtherwise()
      throws Exception {
    assertThat(runOnce(Map.of("TEMPORA_CDS", "off"), "jit")).isZero();
    assertThat(lastArguments).contains("-XX:CompileThresholdScaling=3");

    Map<String, String> env =
        Map.of("TEMPORA_CDS", "off", "JAVA_OPTS", "-XX:CompileThresholdScaling=1");
    assertThat(runOnce(env, "jit-opts")).isZero();
    // The JVM takes the last occurrence of a flag: JAVA_OPTS come after the launcher's own.
    assertThat(lastArguments.lastIndexOf("-XX:CompileThresholdScaling=1"))
        .isGreaterThan(lastArguments.indexOf("-XX:CompileThresholdScaling=3"));
  }

  @Test
  void routerStart_throughTheLauncher_runsTheClientCompilerOnlyUnlessJavaOptsSayOtherwise()
      throws Exception {
    List<String> plain = routerArguments(Map.of("TEMPORA_CDS", "off"), "router-jit");
    assertThat(plain).contains("-XX:TieredStopAtLevel=1");

    List<String> withOpts =
        routerArguments(
            Map.of("TEMPORA_CDS", "off", "JAVA_OPTS", "-XX:TieredStopAtLevel=4"), "router-c2");
    // The JVM takes the last occurrence of a flag: JAVA_OPTS come after the launcher's own.
    assertThat(withOpts.lastIndexOf("-XX:TieredStopAtLevel=4"))
        .isGreaterThan(withOpts.indexOf("-XX:TieredStopAtLevel=1"));
  }

  /**
   * Starts a router through {@code bin/router} (its shard need not answer), waits until the
   * launcher has exec'd the JVM, kills it; returns the JVM's arguments.
   */
  private List<String> routerArguments(Map<String, String> env, String name)
      throws IOException, InterruptedException {
    Path log = tmp.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(
                ShardHandle.launcher().resolveSibling("router").toString(),
                "--listen",
                "127.0.0.1:" + ShardHandle.freePort(),
                "--shards",
                "127.0.0.1:" + ShardHandle.freePort(),
                "--http-listen",
                "127.0.0.1:" + ShardHandle.freePort())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().remove("JAVA_OPTS");
    pb.environment().remove("TEMPORA_CDS");
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      Instant deadline = Instant.now().plus(ShardHandle.STARTUP);
      List<String> args = List.of();
      while (!args.contains("-jar")) {
        assertThat(p.isAlive()).as("router exited early:\n%s", read(log)).isTrue();
        assertThat(Instant.now()).as("router JVM not started:\n%s", read(log)).isBefore(deadline);
        TimeUnit.MILLISECONDS.sleep(100);
        args = List.of(p.info().arguments().orElse(new String[0]));
      }
      return args;
    } finally {
      p.destroyForcibly();
      p.waitFor(60, TimeUnit.SECONDS);
    }
  }

  /** Starts a shard, waits until it reports ready, stops it with SIGTERM; returns its exit code. */
  private int runOnce(Map<String, String> env, String name)
      throws IOException, InterruptedException {
    Path log = tmp.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(
                ShardHandle.launcher().toString(),
                "--listen",
                "127.0.0.1:" + ShardHandle.freePort(),
                "--shard-id",
                "0",
                "--data-dir",
                tmp.resolve("data").toString(),
                "--set",
                "ops.health_listen=" + ShardHandle.freePort(),
                "--set",
                "ops.http_listen=" + ShardHandle.freePort(),
                "--set",
                "shutdown.drain_delay=0s")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().remove("JAVA_OPTS");
    pb.environment().remove("TEMPORA_CDS");
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      Instant deadline = Instant.now().plus(ShardHandle.STARTUP);
      while (!read(log).contains("ready: port")) {
        assertThat(p.isAlive()).as("shard exited early:\n%s", read(log)).isTrue();
        assertThat(Instant.now()).as("shard not ready:\n%s", read(log)).isBefore(deadline);
        TimeUnit.MILLISECONDS.sleep(100);
      }
      lastArguments = List.of(p.info().arguments().orElse(new String[0]));
      p.destroy();
      assertThat(p.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS))
          .as("shard did not exit after SIGTERM:\n%s", read(log))
          .isTrue();
      return p.exitValue();
    } finally {
      p.destroyForcibly();
    }
  }

  private static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private static List<Path> archives(Path cache) throws IOException {
    return files(cache, ".jsa");
  }

  /** The files of the launcher's cache directory whose names end with {@code suffix}. */
  private static List<Path> files(Path cache, String suffix) throws IOException {
    Path dir = cache.resolve("tempora").resolve("cds");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(suffix)).toList();
    }
  }
}
