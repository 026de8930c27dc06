package io.tempora.deploy.shard;

import io.tempora.deploy.Logging;
import io.tempora.deploy.config.ConfigKey;
import io.tempora.deploy.config.ConfigKeys;
import io.tempora.deploy.config.Settings;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP (OPERATIONS.md §2): re-reads the file and environment, validates everything, applies the
 * reloadable keys and reports other changes at WARN; an invalid configuration changes nothing.
 * Thread-safe (reloads are serialized).
 */
final class Reloader {
  private static final Logger LOG = LoggerFactory.getLogger(Reloader.class);

  private final Supplier<Settings> loader;
  private final ShardProcess process;
  private Settings current;

  Reloader(Settings current, Supplier<Settings> loader, ShardProcess process) {
    this.current = current;
    this.loader = loader;
    this.process = process;
  }

  synchronized void reload() {
    Settings next;
    try {
      next = loader.get();
      ShardSettings.of(next);
    } catch (RuntimeException e) {
      LOG.error("configuration reload failed; nothing changed: {}", e.getMessage());
      process.metrics().configReloaded("error");
      return;
    }
    Map<String, ConfigKey> keys = ConfigKeys.byName();
    Map<String, Object> changed = next.changedFrom(current);
    if (changed.containsKey(ConfigKeys.STORAGE_CHECKPOINT_INTERVAL)
        || changed.containsKey(ConfigKeys.STORAGE_CHECKPOINT_RETAIN)) {
      process.checkpointIntervalChanged(ShardSettings.checkpoints(next));
    }
    if (changed.containsKey(ConfigKeys.STORAGE_EVENTS_RETAIN_AGE)
        || changed.containsKey(ConfigKeys.STORAGE_EVENTS_RETAIN_TXS)
        || changed.containsKey(ConfigKeys.STORAGE_HISTORY_RETAIN_AGE)
        || changed.containsKey(ConfigKeys.STORAGE_HISTORY_RETAIN_TXS)
        || changed.containsKey(ConfigKeys.STORAGE_RETENTION_INTERVAL)) {
      process.retentionChanged(ShardSettings.retention(next));
    }
    for (Map.Entry<String, Object> c : changed.entrySet()) {
      if (keys.get(c.getKey()).reloadable()) {
        apply(c.getKey(), next);
      } else {
        LOG.warn(
            "{} changed to {} ({}); it takes effect at the next restart",
            c.getKey(),
            c.getValue(),
            next.sources().get(c.getKey()));
      }
    }
    current = merge(current, next, keys);
    LOG.info("configuration reloaded: {} change(s)", changed.size());
    process.metrics().configReloaded("ok");
  }

  private void apply(String key, Settings next) {
    if (key.equals(ConfigKeys.LOG_LEVEL)) {
      Logging.setLevel(next.string(key));
    }
    LOG.info("{} is now {} ({})", key, next.values().get(key), next.sources().get(key));
  }

  /** The new values of reloadable keys, the old values of the others. */
  private static Settings merge(Settings old, Settings next, Map<String, ConfigKey> keys) {
    Map<String, Object> values = new HashMap<>(old.values());
    Map<String, String> sources = new HashMap<>(old.sources());
    for (ConfigKey k : keys.values()) {
      if (k.reloadable() && next.values().containsKey(k.name())) {
        values.put(k.name(), next.values().get(k.name()));
        sources.put(k.name(), next.sources().get(k.name()));
      }
    }
    return new Settings(values, sources);
  }
}
