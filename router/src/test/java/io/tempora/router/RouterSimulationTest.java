package io.tempora.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DISTRIBUTED.md DS-T9: deterministic simulation of routing, fan-out, retries and reconciliation
 * with injected drops, delays and crashes ({@link RouterSimulation}, one cluster per seed). Seeds
 * {@code 1..N}: N is {@code -Dtempora.sim.seeds} (1,000 by default, 100,000 with {@code
 * -Pextended}); {@code -Dtempora.sim.seed=S} runs seed S alone and prints its schedule. A failure
 * names each failing seed and the command replaying it.
 */
class RouterSimulationTest {
  private static final Logger LOG = LoggerFactory.getLogger(RouterSimulationTest.class);
  private static final String REPLAY =
      "./mvnw -o -B verify -pl router -am -Dtest=RouterSimulationTest"
          + " -Dsurefire.failIfNoSpecifiedTests=false -Dtempora.sim.seed=";
  private static final int MAX_REPORTED = 10;

  private static Fanout.RetryPause previousPause;

  @BeforeAll
  static void noRetrySleeps() {
    // The router's 50 ms / 200 ms pauses between retries of a dropped call: real time, not the
    // simulation's; the retries themselves still happen.
    previousPause = Fanout.retryPause(ms -> {});
  }

  @AfterAll
  static void restoreRetrySleeps() {
    Fanout.retryPause(previousPause);
  }

  @Test
  @Timeout(value = 12, unit = TimeUnit.HOURS) // -Pextended runs 100,000 seeds
  void simulate_eachSeed_settlesAsOneEngine() {
    String one = System.getProperty("tempora.sim.seed", "");
    if (!one.isEmpty()) {
      replay(Long.parseLong(one.trim()));
      return;
    }
    int seeds = Integer.getInteger("tempora.sim.seeds", 1000);
    RouterSimulation.Stats total = new RouterSimulation.Stats();
    List<String> failures = new ArrayList<>();
    long started = System.nanoTime();
    for (long seed = 1; seed <= seeds; seed++) {
      RouterSimulation sim = new RouterSimulation(seed);
      try {
        total.add(sim.run());
      } catch (AssertionError | RuntimeException e) {
        if (failures.size() < MAX_REPORTED) {
          failures.add("seed " + seed + ": " + firstLine(e) + "\n  replay: " + REPLAY + seed);
        }
        if (failures.size() == 1) {
          LOG.error("seed {} failed; its schedule:\n{}", seed, sim.trace(), e);
        }
      }
    }
    LOG.info(
        "{} seeds in {} s: {}",
        seeds,
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
        total);
    assertThat(failures).as("failing seeds (at most %d listed)", MAX_REPORTED).isEmpty();
    assertThat(total.requests).as("requests sent").isPositive();
  }

  private static void replay(long seed) {
    RouterSimulation sim = new RouterSimulation(seed);
    try {
      RouterSimulation.Stats stats = sim.run();
      LOG.info("seed {} passed: {}\n{}", seed, stats, sim.trace());
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(
          "seed " + seed + " failed: " + e.getMessage() + "\nschedule:\n" + sim.trace(), e);
    }
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage()).strip();
    int nl = m.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl) + " …");
  }
}
