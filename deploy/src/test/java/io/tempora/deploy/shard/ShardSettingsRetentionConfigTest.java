package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.deploy.config.ConfigException;
import io.tempora.deploy.config.ConfigLoader;
import io.tempora.deploy.config.Settings;
import io.tempora.persistence.rocks.Retention;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The retention keys become the shard's store and retention records (SIGHUP reads them again). */
class ShardSettingsRetentionConfigTest {
  private static Settings load(String... sets) {
    return ConfigLoader.load(
        null,
        Map.of(),
        Stream.concat(
                Stream.of("shard.listen=127.0.0.1:0", "shard.id=0", "shard.data_dir=unused"),
                Stream.of(sets))
            .map(ConfigLoader::setFlag)
            .toList());
  }

  @Test
  void of_defaults_historyKeptAndSevenDayPartitions() {
    ShardSettings s = ShardSettings.of(load());

    assertThat(s.retention().historyOn()).isFalse();
    assertThat(s.retention()).isEqualTo(Retention.Config.defaults());
    assertThat(s.storage().historyPartition()).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void of_historyKeysSet_reachStoreAndRetention() {
    Settings settings =
        load(
            "storage.history.partition=1d",
            "storage.history.retain_txs=500",
            "storage.history.retain_age=30d",
            "storage.retention_interval=1m");
    ShardSettings s = ShardSettings.of(settings);

    assertThat(s.storage().historyPartition()).isEqualTo(Duration.ofDays(1));
    assertThat(s.retention())
        .isEqualTo(
            new Retention.Config(
                Duration.ofDays(7), 0, Duration.ofMinutes(1), Duration.ofDays(30), 500));
    assertThat(ShardSettings.retention(settings)).isEqualTo(s.retention());
  }

  @Test
  void of_historyPartitionBelowOneSecond_failsNamingTheKey() {
    assertThatThrownBy(() -> ShardSettings.of(load("storage.history.partition=500ms")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage.history.partition");
  }
}
