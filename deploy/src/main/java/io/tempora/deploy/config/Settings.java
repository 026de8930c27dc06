package io.tempora.deploy.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The effective configuration: a value and its source for every known key. Immutable.
 *
 * @param values value per key name (String, Long, Boolean or Duration)
 * @param sources where each value came from ({@code default}, {@code file F line N}, {@code env
 *     VAR}, {@code flag --x})
 */
public record Settings(Map<String, Object> values, Map<String, String> sources) {
  private static final Set<String> SECRET_WORDS = Set.of("token", "key", "password", "secret");

  public Settings {
    values = Map.copyOf(values);
    sources = Map.copyOf(sources);
  }

  /** A text value. */
  public String string(String key) {
    return (String) get(key);
  }

  /** A whole-number value. */
  public long number(String key) {
    return (Long) get(key);
  }

  /** A whole-number value that fits an int (the key's range guarantees it). */
  public int integer(String key) {
    return Math.toIntExact(number(key));
  }

  /** A boolean value. */
  public boolean flag(String key) {
    return (Boolean) get(key);
  }

  /** A duration value. */
  public Duration duration(String key) {
    return (Duration) get(key);
  }

  private Object get(String key) {
    Object v = values.get(key);
    if (v == null) {
      throw new IllegalStateException("no value for configuration key " + key);
    }
    return v;
  }

  /** Lines {@code key = value (source)} in table order, secrets redacted. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    for (ConfigKey k : ConfigKeys.all()) {
      if (!values.containsKey(k.name())) {
        continue;
      }
      String v = format(values.get(k.name()));
      if (isSecret(k.name()) && !v.isEmpty()) {
        v = "<redacted>";
      }
      out.append(k.name())
          .append(" = ")
          .append(v)
          .append("  (")
          .append(sources.get(k.name()))
          .append(")\n");
    }
    return out.toString();
  }

  private static boolean isSecret(String name) {
    String last = name.substring(name.lastIndexOf('.') + 1);
    return SECRET_WORDS.contains(last)
        || Arrays.stream(last.split("_"))
            .anyMatch(w -> SECRET_WORDS.contains(w) && !w.equals("key"));
  }

  /** A value as it would be written in the config file ({@code 500ms}, {@code 2s}, ...). */
  static String format(Object value) {
    if (value instanceof Duration d) {
      long ms = d.toMillis();
      if (ms == 0) {
        return "0";
      }
      for (var unit :
          List.of(
              Map.entry(86_400_000L, "d"),
              Map.entry(3_600_000L, "h"),
              Map.entry(60_000L, "m"),
              Map.entry(1000L, "s"))) {
        if (ms % unit.getKey() == 0) {
          return ms / unit.getKey() + unit.getValue();
        }
      }
      return ms + "ms";
    }
    return String.valueOf(value);
  }

  /** The keys whose values differ from {@code other}'s. */
  public Map<String, Object> changedFrom(Settings other) {
    Map<String, Object> out = new LinkedHashMap<>();
    values.forEach(
        (k, v) -> {
          if (!v.equals(other.values.get(k))) {
            out.put(k, v);
          }
        });
    return out;
  }
}
