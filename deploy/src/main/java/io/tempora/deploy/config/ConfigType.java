package io.tempora.deploy.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The type of a configuration key: how its text is parsed and what TOML type it takes. */
public enum ConfigType {
  /** Text; TOML string. */
  STRING,
  /** A whole number; TOML integer. */
  INTEGER,
  /** {@code true} or {@code false}; TOML boolean. */
  BOOLEAN,
  /**
   * A duration such as {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 7d}; TOML string.
   */
  DURATION;

  private static final Pattern DURATION_TEXT = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");

  /**
   * Parses text of this type.
   *
   * @throws IllegalArgumentException naming the expected form
   */
  Object parse(String text) {
    String t = text.strip();
    return switch (this) {
      case STRING -> t;
      case INTEGER -> {
        try {
          yield Long.parseLong(t.replace("_", ""));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("'" + text + "' is not a whole number");
        }
      }
      case BOOLEAN -> {
        String l = t.toLowerCase(Locale.ROOT);
        if (!l.equals("true") && !l.equals("false")) {
          throw new IllegalArgumentException("'" + text + "' is not true or false");
        }
        yield Boolean.parseBoolean(l);
      }
      case DURATION -> duration(t, text);
    };
  }

  private static Duration duration(String t, String text) {
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = DURATION_TEXT.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration such as 500ms, 2s, 5m, 1h or 7d");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** Converts a TOML value to this type, or throws naming the TOML type expected. */
  Object fromToml(Object value) {
    return switch (this) {
      case INTEGER -> {
        if (!(value instanceof Long l)) {
          throw new IllegalArgumentException("must be a TOML integer, got " + describe(value));
        }
        yield l;
      }
      case BOOLEAN -> {
        if (!(value instanceof Boolean b)) {
          throw new IllegalArgumentException("must be true or false, got " + describe(value));
        }
        yield b;
      }
      case STRING, DURATION -> {
        if (!(value instanceof String s)) {
          throw new IllegalArgumentException("must be a TOML string, got " + describe(value));
        }
        yield parse(s);
      }
    };
  }

  private static String describe(Object value) {
    return value instanceof String s ? "the string \"" + s + "\"" : String.valueOf(value);
  }
}
