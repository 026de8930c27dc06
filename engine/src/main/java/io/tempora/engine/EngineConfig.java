package io.tempora.engine;

/**
 * Engine configuration.
 *
 * @param shardId this shard's id (0..65535), the high 16 bits of every id it allocates
 * @param limits request limits
 */
public record EngineConfig(int shardId, Limits limits) {
  public EngineConfig {
    if (shardId < 0 || shardId > 0xFFFF) {
      throw new IllegalArgumentException("shard id " + shardId + " must be in 0..65535");
    }
    if (limits == null) {
      throw new IllegalArgumentException("limits must not be null");
    }
  }

  /** Shard 0 with default limits. */
  public static EngineConfig defaults() {
    return new EngineConfig(0, Limits.defaults());
  }
}
