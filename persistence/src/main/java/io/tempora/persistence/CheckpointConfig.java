package io.tempora.persistence;

import java.time.Duration;

/**
 * Scheduled checkpoints (STORAGE.md §6.1): {@code storage.checkpoint_interval} and {@code
 * storage.checkpoint_retain}.
 *
 * @param interval time between scheduled checkpoints; {@link Duration#ZERO} turns them off
 * @param retain how many checkpoints to keep (the newest), at least 1
 */
public record CheckpointConfig(Duration interval, int retain) {
  public CheckpointConfig {
    if (interval == null || interval.isNegative()) {
      throw new IllegalArgumentException(
          "storage.checkpoint_interval must be zero (off) or positive, got " + interval);
    }
    if (retain < 1) {
      throw new IllegalArgumentException(
          "storage.checkpoint_retain must be at least 1, got " + retain);
    }
  }

  /** Every hour, keep 3 (OPERATIONS.md defaults). */
  public static CheckpointConfig defaults() {
    return new CheckpointConfig(Duration.ofHours(1), 3);
  }

  /** True iff scheduled checkpoints are on. */
  public boolean isScheduled() {
    return !interval.isZero();
  }
}
