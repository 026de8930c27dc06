package io.tempora.persistence.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * STORAGE.md ST-T10: native memory does not leak. Each case runs {@link RssChild} in a child JVM
 * whose heap is fixed and pre-touched ({@code -Xms128m -Xmx128m -XX:+AlwaysPreTouch}) with {@code
 * MALLOC_ARENA_MAX=2} (as containers set it), so growth of VmRSS is native growth: RocksDB objects
 * that were never closed, snapshots never released, iterators left open. The default suite runs
 * 20,000 mixed operations after warm-up; {@code -Pextended} runs 10^6 ({@code tempora.scale.ops}).
 */
@Timeout(value = 90, unit = TimeUnit.MINUTES)
class NativeMemoryIT {
  private static final long OPS = Long.getLong("tempora.scale.ops", 20_000);
  private static final List<String> JVM =
      List.of("-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch", "-XX:ReservedCodeCacheSize=64m");
  private static final long MIB_IN_KB = 1024;

  @Test
  void mixedOperations_afterWarmUp_growRssByLessThan64MiB(@TempDir Path tmp) throws Exception {
    Map<String, String> out =
        ChildJvm.run(
            tmp.resolve("ops.log"),
            JVM,
            ChildJvm.env("MALLOC_ARENA_MAX", "2"),
            RssChild.class,
            85,
            "ops",
            tmp.resolve("data").toString(),
            Long.toString(OPS));

    long growthKb = Long.parseLong(out.get("rss_end")) - Long.parseLong(out.get("rss_warm"));
    assertThat(growthKb).as("RSS growth in kB; child output %s", out).isLessThan(64 * MIB_IN_KB);
  }

  @Test
  void openWriteClose_100CyclesInOneJvm_growRssByLessThan16MiBWithoutLockErrors(@TempDir Path tmp)
      throws Exception {
    // Extended profile only: on 2026-11-21 it measured 17.2 MiB once against the 16 MiB bound on an
    // idle machine (and passed on the next run), so it is not yet a stable default-suite test.
    assumeTrue(
        Boolean.getBoolean("tempora.scale.cycles"),
        "open/close cycle RSS check runs with -Pextended (flaky at its bound; docs/storage.md)");
    Map<String, String> out =
        ChildJvm.run(
            tmp.resolve("cycles.log"),
            JVM,
            ChildJvm.env("MALLOC_ARENA_MAX", "2"),
            RssChild.class,
            20,
            "cycles",
            tmp.resolve("data").toString(),
            "100");

    assertThat(out).containsEntry("cycles", "100");
    long growthKb = Long.parseLong(out.get("rss_end")) - Long.parseLong(out.get("rss_warm"));
    assertThat(growthKb).as("RSS growth in kB; child output %s", out).isLessThan(16 * MIB_IN_KB);
  }
}
