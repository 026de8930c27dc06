package io.tempora.deploy.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Resolves the effective configuration (OPERATIONS.md §2). Layers, later wins: built-in defaults
 * &lt; TOML file &lt; environment variables {@code TEMPORA_*} &lt; flags (named flags and {@code
 * --set key=value}). Unknown keys, unknown {@code TEMPORA_*} variables, wrong types, out-of-range
 * values and missing required keys throw {@link ConfigException} naming the key and its source.
 * Stateless.
 */
public final class ConfigLoader {
  /** The variable naming the config file when {@code --config} is not given. */
  public static final String CONFIG_VAR = "TEMPORA_CONFIG";

  /** {@code TEMPORA_*} variables that the launch scripts use and that are not keys. */
  public static final Set<String> LAUNCHER_VARS =
      Set.of(CONFIG_VAR, "TEMPORA_JVM_DIR", "TEMPORA_JAVA_MAJOR", "TEMPORA_HOME", "TEMPORA_CDS");

  private ConfigLoader() {}

  /**
   * A flag's value and the flag's name for messages.
   *
   * @param key the configuration key it sets
   * @param text its value as text
   * @param flag how it was given, e.g. {@code --listen} or {@code --set}
   */
  public record Flag(String key, String text, String flag) {}

  /**
   * Loads the configuration.
   *
   * @param file the {@code --config} file, or null to use {@code TEMPORA_CONFIG} if set
   * @param env the process environment
   * @param flags flag values in command-line order
   */
  public static Settings load(Path file, Map<String, String> env, List<Flag> flags) {
    Map<String, ConfigKey> keys = ConfigKeys.byName();
    Map<String, Object> values = new HashMap<>();
    Map<String, String> sources = new HashMap<>();
    for (ConfigKey k : keys.values()) {
      if (!k.isRequired()) {
        values.put(k.name(), parse(k, k.defaultText(), "default"));
        sources.put(k.name(), "default");
      }
    }
    Path configFile = file != null ? file : configFromEnv(env);
    if (configFile != null) {
      readFile(configFile, keys, values, sources);
    }
    readEnv(env, keys, values, sources);
    for (Flag f : flags) {
      ConfigKey k = keys.get(f.key());
      if (k == null) {
        throw new ConfigException(f.flag() + ": unknown configuration key '" + f.key() + "'");
      }
      String source = "flag " + f.flag();
      values.put(k.name(), parse(k, f.text(), source));
      sources.put(k.name(), source);
    }
    for (ConfigKey k : keys.values()) {
      if (!values.containsKey(k.name())) {
        throw new ConfigException(
            k.name()
                + " is required: give it as a flag, as "
                + k.envVar()
                + " or in the config file");
      }
    }
    return new Settings(values, sources);
  }

  /** Parses {@code key=value} of a {@code --set} flag. */
  public static Flag setFlag(String assignment) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new ConfigException("--set: '" + assignment + "' is not key=value");
    }
    return new Flag(assignment.substring(0, eq).strip(), assignment.substring(eq + 1), "--set");
  }

  private static Path configFromEnv(Map<String, String> env) {
    String v = env.get(CONFIG_VAR);
    return v == null || v.isBlank() ? null : Path.of(v);
  }

  private static Object parse(ConfigKey k, String text, String source) {
    try {
      return k.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(k.name() + " (" + source + "): " + e.getMessage());
    }
  }

  private static void readFile(
      Path file,
      Map<String, ConfigKey> keys,
      Map<String, Object> values,
      Map<String, String> sources) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config file " + file + " does not exist or is not a file");
    }
    TomlParseResult toml;
    try {
      toml = Toml.parse(file);
    } catch (IOException e) {
      throw new ConfigException("config file " + file + ": cannot read: " + e.getMessage());
    }
    if (toml.hasErrors()) {
      var err = toml.errors().get(0);
      throw new ConfigException(
          "config file " + file + " line " + line(err.position()) + ": " + err.getMessage());
    }
    Set<String> dotted = new TreeSet<>(toml.dottedKeySet(false));
    for (String name : dotted) {
      Object raw = toml.get(List.of(splitDotted(name)));
      if (raw instanceof TomlTable) {
        continue;
      }
      String source = "file " + file + " line " + line(toml.inputPositionOf(name));
      ConfigKey k = keys.get(name);
      if (k == null) {
        throw new ConfigException("unknown configuration key '" + name + "' (" + source + ")");
      }
      try {
        values.put(name, k.fromToml(raw));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(name + " (" + source + "): " + e.getMessage());
      }
      sources.put(name, source);
    }
  }

  private static String[] splitDotted(String name) {
    return name.split("\\.");
  }

  private static String line(TomlPosition p) {
    return p == null ? "?" : Integer.toString(p.line());
  }

  private static void readEnv(
      Map<String, String> env,
      Map<String, ConfigKey> keys,
      Map<String, Object> values,
      Map<String, String> sources) {
    Map<String, ConfigKey> byVar = new LinkedHashMap<>();
    for (ConfigKey k : keys.values()) {
      byVar.put(k.envVar(), k);
    }
    for (String var : new TreeSet<>(env.keySet())) {
      if (!var.startsWith("TEMPORA_") || LAUNCHER_VARS.contains(var)) {
        continue;
      }
      ConfigKey k = byVar.get(var);
      if (k == null) {
        throw new ConfigException(
            "unknown environment variable " + var + ": it names no configuration key");
      }
      String source = "env " + var;
      values.put(k.name(), parse(k, env.get(var), source));
      sources.put(k.name(), source);
    }
  }
}
