package io.tempora.deploy.config;

import java.util.List;
import java.util.Locale;

/**
 * One configuration key (OPERATIONS.md §2). Immutable.
 *
 * @param name dotted key, e.g. {@code shard.data_dir}
 * @param type how values are parsed
 * @param defaultText the built-in default as text; null when the key is required
 * @param reloadable whether SIGHUP applies a new value without restart
 * @param min smallest allowed whole number (INTEGER keys)
 * @param max largest allowed whole number (INTEGER keys)
 * @param choices allowed values of a STRING key; empty for any
 * @param description one sentence for docs/configuration.md
 */
public record ConfigKey(
    String name,
    ConfigType type,
    String defaultText,
    boolean reloadable,
    long min,
    long max,
    List<String> choices,
    String description) {

  public ConfigKey {
    choices = List.copyOf(choices);
  }

  /** The environment variable of this key: {@code TEMPORA_} + upper case, dots to underscores. */
  public String envVar() {
    return "TEMPORA_" + name.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /** Whether no default exists and a value must come from the file, environment or flags. */
  public boolean isRequired() {
    return defaultText == null;
  }

  /** Parses and range-checks a value given as text. */
  Object parse(String text) {
    return check(type.parse(text));
  }

  /** Converts and range-checks a TOML value. */
  Object fromToml(Object value) {
    return check(type.fromToml(value));
  }

  private Object check(Object value) {
    if (value instanceof Long l && (l < min || l > max)) {
      throw new IllegalArgumentException(l + " is out of range " + min + ".." + max);
    }
    if (value instanceof String s && !choices.isEmpty() && !choices.contains(s)) {
      throw new IllegalArgumentException("'" + s + "' is not one of " + choices);
    }
    return value;
  }
}
