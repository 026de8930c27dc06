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
 * {@code F..F+N-1}: N is {@code -Dtempora.sim.seeds} (1,000 by default, 100,000 with {@code
 * -Pextended}), F is {@code -Dtempora.sim.first} (1; to split a long run into ranges run side by
 * side); {@code -Dtempora.sim.seed=S} runs seed S alone and logs its schedule. A failure names each
 * failing seed (at most 10) with the command replaying it, and logs the schedule of the first.
 * Also: a seed replays the same schedule, and a seeded bug is caught.
 */
class RouterSimulationTest {
  private static final Logger LOG = LoggerFactory.getLogger(RouterSimulationTest.class);
  private static final String REPLAY =
      "./mvnw -o -B verify -pl router -am -Dtest=RouterSimulationTest"
          + " -Dsurefire.failIfNoSpecifiedTests=false -Dtempora.sim.seed=";
  private static final String UUID = "[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}";
  private static final int MAX_REPORTED = 10;

  private static Fanout.RetryPause previousPause;

  @BeforeAll
  static void noRetrySleeps() {
    // The router's 50 ms / 200 ms pauses between retries of a dropped call are real time, not the
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
    long first = Long.getLong("tempora.sim.first", 1);
    SimStats total = new SimStats();
    List<String> failures = new ArrayList<>();
    long started = System.nanoTime();
    for (long seed = first; seed < first + seeds; seed++) {
      String failure = run(seed, false, total);
      if (failure != null && failures.size() < MAX_REPORTED) {
        failures.add(failure);
      }
    }
    LOG.info(
        "{} seeds from {} in {} s: {}",
        seeds,
        first,
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
        total);
    assertThat(failures).as("failing seeds (at most %d listed)", MAX_REPORTED).isEmpty();
    assertThat(total.requests).as("requests sent").isPositive();
  }

  @Test
  void simulate_sameSeedTwice_runsTheSameSchedule() {
    for (long seed = 1; seed <= 10; seed++) {
      RouterSimulation first = new RouterSimulation(seed, false);
      first.run();
      RouterSimulation second = new RouterSimulation(seed, false);
      second.run();

      assertThat(normalized(second.trace()))
          .as("schedule of seed %d, run twice", seed)
          .isEqualTo(normalized(first.trace()))
          .contains("-- faults stop");
    }
  }

  @Test
  void simulate_routerAcknowledgingLostIngests_failsNamingAReplayableSeed() {
    String failure = null;
    long seed = 0;
    while (failure == null && seed < 200) {
      seed++;
      failure = run(seed, true, new SimStats());
    }

    assertThat(failure).as("a seed failing with the seeded bug (seeds 1..%d)", seed).isNotNull();
    assertThat(failure).startsWith("seed " + seed + ": ").contains(REPLAY + seed);
    String again = run(seed, true, new SimStats());
    assertThat(again).as("seed %d replayed", seed).isEqualTo(failure);
    assertThat(run(seed, false, new SimStats())).as("seed %d without the bug", seed).isNull();
  }

  /** Runs a seed: null if it passed, else what failed and the command replaying it. */
  private static String run(long seed, boolean sabotage, SimStats total) {
    RouterSimulation sim = new RouterSimulation(seed, sabotage);
    try {
      total.add(sim.run());
      return null;
    } catch (AssertionError | RuntimeException e) {
      LOG.error("seed {} failed; its schedule:\n{}", seed, sim.trace(), e);
      return "seed " + seed + ": " + firstLine(e) + "\n  replay: " + REPLAY + seed;
    }
  }

  private static void replay(long seed) {
    RouterSimulation sim = new RouterSimulation(seed, false);
    try {
      SimStats stats = sim.run();
      LOG.info("seed {} passed: {}; its schedule:\n{}", seed, stats, sim.trace());
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(
          "seed " + seed + " failed: " + e.getMessage() + "\nschedule:\n" + sim.trace(), e);
    }
  }

  private static String normalized(String trace) {
    return trace.replaceAll(UUID, "<uuid>");
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage()).strip();
    int nl = m.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl) + " …");
  }
}
