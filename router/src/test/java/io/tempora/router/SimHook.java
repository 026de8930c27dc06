package io.tempora.router;

import io.tempora.proto.v1.Identity;
import java.util.List;
import java.util.Random;

/**
 * The faults of one Reconcile call, drawn before it, each at the k-th boundary ({@link
 * MoveHook.Point}) the round reaches (0: none), so that they fall between the steps it takes: the
 * router dies, a write is sent through another router, a shard stops; and every step may run twice.
 * Called in the round's thread, which is the simulation's thread (every call runs in the caller's
 * thread), so the simulation's state is touched by one thread only.
 */
final class SimHook implements MoveHook {
  private static final int BOUNDARIES = 8;

  private final RouterSimulation sim;
  private final int crashAt;
  private final int releaseAt;
  private final int stopAt;
  private final int stopShard;
  private final boolean twice;
  private int reached;
  private boolean died;

  private SimHook(
      RouterSimulation sim, int crashAt, int releaseAt, int stopAt, int stopShard, boolean twice) {
    this.sim = sim;
    this.crashAt = crashAt;
    this.releaseAt = releaseAt;
    this.stopAt = stopAt;
    this.stopShard = stopShard;
    this.twice = twice;
  }

  static SimHook none(RouterSimulation sim) {
    return new SimHook(sim, 0, 0, 0, -1, false);
  }

  static SimHook random(Random r, RouterSimulation sim) {
    int crash = r.nextInt(100) < 30 ? 1 + r.nextInt(BOUNDARIES) : 0;
    int release = r.nextInt(100) < 60 ? 1 + r.nextInt(BOUNDARIES) : 0;
    int stop = r.nextInt(100) < 10 ? 1 + r.nextInt(BOUNDARIES) : 0;
    int shard = r.nextInt(sim.shards());
    return new SimHook(sim, crash, release, stop, shard, r.nextInt(100) < 25);
  }

  /** Whether the router died at its boundary. */
  boolean died() {
    return died;
  }

  String describe() {
    return (crashAt == 0 ? "" : ", dies at boundary " + crashAt)
        + (releaseAt == 0 ? "" : ", a write at boundary " + releaseAt)
        + (stopAt == 0 ? "" : ", stops shard " + stopShard + " at boundary " + stopAt)
        + (twice ? ", every step twice" : "");
  }

  @Override
  public void at(Point point, List<Identity> ids) {
    reached++;
    if (reached == releaseAt) {
      sim.writeInRound(point, ids);
    }
    if (reached == stopAt && sim.isUp(stopShard)) {
      sim.note("  at " + point + ":");
      sim.stopShard(stopShard);
    }
    if (reached == crashAt) {
      died = true;
      sim.note("  the router dies at " + point);
      throw new IllegalStateException("simulated router crash at " + point);
    }
  }

  @Override
  public boolean repeat(Point point) {
    return twice;
  }
}
