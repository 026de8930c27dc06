package io.tempora.deploy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.deploy.config.ConfigLoader.Flag;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layering, validation and messages of the configuration loader (OPERATIONS.md §2, OP-T2). */
class ConfigLoaderTest {
  private static final List<Flag> REQUIRED =
      List.of(
          new Flag("shard.listen", "127.0.0.1:7410", "--listen"),
          new Flag("shard.id", "0", "--shard-id"),
          new Flag("shard.data_dir", "/tmp/d", "--data-dir"));

  @TempDir Path tmp;

  private Path file(String toml) throws IOException {
    Path f = tmp.resolve("tempora.toml");
    Files.writeString(f, toml);
    return f;
  }

  private static List<Flag> with(Flag... extra) {
    return java.util.stream.Stream.concat(REQUIRED.stream(), java.util.stream.Stream.of(extra))
        .toList();
  }

  @Test
  void load_keyInEveryLayer_flagWins() throws IOException {
    Path f = file("[limits]\nmax_records_per_request = 20\n");
    Map<String, String> env = Map.of("TEMPORA_LIMITS_MAX_RECORDS_PER_REQUEST", "30");

    Settings s =
        ConfigLoader.load(f, env, with(ConfigLoader.setFlag("limits.max_records_per_request=40")));

    assertThat(s.number("limits.max_records_per_request")).isEqualTo(40);
    assertThat(s.sources().get("limits.max_records_per_request")).isEqualTo("flag --set");
  }

  @Test
  void load_fileAndEnv_envBeatsFileAndFileBeatsDefault() throws IOException {
    Path f = file("limits.max_records_per_request = 20\nlog.level = \"debug\"\n");
    Map<String, String> env = Map.of("TEMPORA_LIMITS_MAX_RECORDS_PER_REQUEST", "30");

    Settings s = ConfigLoader.load(f, env, REQUIRED);

    assertThat(s.number("limits.max_records_per_request")).isEqualTo(30);
    assertThat(s.string("log.level")).isEqualTo("debug");
    assertThat(s.sources().get("log.level")).isEqualTo("file " + f + " line 2");
    assertThat(s.number("limits.max_descriptors_per_record")).isEqualTo(1000);
    assertThat(s.sources().get("limits.max_descriptors_per_record")).isEqualTo("default");
  }

  @Test
  void load_configFromEnvVariable_isRead() throws IOException {
    Path f = file("shutdown.grace = \"2m\"\n");

    Settings s = ConfigLoader.load(null, Map.of("TEMPORA_CONFIG", f.toString()), REQUIRED);

    assertThat(s.duration("shutdown.grace")).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void load_unknownFileKey_failsNamingKeyAndLine() throws IOException {
    Path f = file("log.level = \"info\"\n[limits]\nmax_recs = 5\n");

    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), REQUIRED))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown configuration key 'limits.max_recs'")
        .hasMessageContaining("line 3");
  }

  @Test
  void load_unknownEnvVariable_failsNamingIt() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("TEMPORA_NO_SUCH", "1"), REQUIRED))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("TEMPORA_NO_SUCH");
  }

  @Test
  void load_launcherVariables_areIgnored() {
    Settings s =
        ConfigLoader.load(
            null, Map.of("TEMPORA_JVM_DIR", "/x", "TEMPORA_CDS", "off", "PATH", "/bin"), REQUIRED);

    assertThat(s.string("shard.listen")).isEqualTo("127.0.0.1:7410");
  }

  @Test
  void load_wrongTomlType_failsNamingKeyAndType() throws IOException {
    Path f = file("limits.max_records_per_request = \"many\"\n");

    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), REQUIRED))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.max_records_per_request")
        .hasMessageContaining("TOML integer");
  }

  @Test
  void load_outOfRangeFlag_failsNamingKeyAndFlag() {
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of(), with(ConfigLoader.setFlag("shard.id=70000"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("shard.id (flag --set)")
        .hasMessageContaining("out of range 0..65535");
  }

  @Test
  void load_badDurationInEnv_failsNamingVariable() {
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("TEMPORA_SHUTDOWN_GRACE", "soon"), REQUIRED))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("shutdown.grace (env TEMPORA_SHUTDOWN_GRACE)")
        .hasMessageContaining("not a duration");
  }

  @Test
  void load_badChoice_failsListingChoices() {
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of(), with(ConfigLoader.setFlag("log.level=loud"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not one of [trace, debug, info, warn, error]");
  }

  @Test
  void load_missingRequiredKey_failsNamingFlagAndVariable() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), REQUIRED.subList(0, 2)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("shard.data_dir is required")
        .hasMessageContaining("TEMPORA_SHARD_DATA_DIR");
  }

  @Test
  void load_malformedToml_failsNamingFileLine() throws IOException {
    Path f = file("log.level = \n");

    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), REQUIRED))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(f + " line 1");
  }

  @Test
  void setFlag_withoutEquals_isRejected() {
    assertThatThrownBy(() -> ConfigLoader.setFlag("log.level"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not key=value");
  }

  @Test
  void keys_environmentVariables_areDistinct() {
    Set<String> seen = new HashSet<>();
    for (ConfigKey k : ConfigKeys.all()) {
      assertThat(seen.add(k.envVar())).as("variable of %s is unique", k.name()).isTrue();
    }
  }

  @Test
  void keys_defaults_parse() {
    for (ConfigKey k : ConfigKeys.all()) {
      if (!k.isRequired()) {
        assertThat(k.parse(k.defaultText())).as(k.name()).isNotNull();
      }
    }
  }

  @Test
  void load_historyRetentionKeys_offByDefaultAndReadFromFileAndEnv() throws IOException {
    Settings defaults = ConfigLoader.load(null, Map.of(), REQUIRED);
    assertThat(defaults.duration("storage.history.partition")).isEqualTo(Duration.ofDays(7));
    assertThat(defaults.number("storage.history.retain_txs")).isZero();
    assertThat(defaults.duration("storage.history.retain_age")).isEqualTo(Duration.ZERO);

    Path f = file("[storage.history]\npartition = \"1d\"\nretain_age = \"90d\"\n");
    Settings s =
        ConfigLoader.load(f, Map.of("TEMPORA_STORAGE_HISTORY_RETAIN_TXS", "1000000"), REQUIRED);

    assertThat(s.duration("storage.history.partition")).isEqualTo(Duration.ofDays(1));
    assertThat(s.duration("storage.history.retain_age")).isEqualTo(Duration.ofDays(90));
    assertThat(s.number("storage.history.retain_txs")).isEqualTo(1_000_000);
    assertThat(ConfigKeys.byName().get("storage.history.retain_txs").reloadable()).isTrue();
    assertThat(ConfigKeys.byName().get("storage.history.retain_age").reloadable()).isTrue();
    assertThat(ConfigKeys.byName().get("storage.history.partition").reloadable()).isFalse();
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null, Map.of("TEMPORA_STORAGE_HISTORY_RETAIN_TXS", "-1"), REQUIRED))
        .hasMessageContaining("storage.history.retain_txs");
  }

  @Test
  void describe_durations_printAsWritten() {
    assertThat(Settings.format(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(Settings.format(Duration.ofSeconds(45))).isEqualTo("45s");
    assertThat(Settings.format(Duration.ofHours(1))).isEqualTo("1h");
  }
}
