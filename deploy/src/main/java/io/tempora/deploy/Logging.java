package io.tempora.deploy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Configures Logback from {@code log.level} and {@code log.format} (OPERATIONS.md §6). */
public final class Logging {
  private static final String PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger - %msg%n";

  private Logging() {}

  /** Replaces the appenders: one line (or one JSON object) per event on stdout. */
  public static void configure(String level, String format) {
    configure(level, format, false);
  }

  /** As {@link #configure(String, String)}, on stderr when {@code toStderr}. */
  public static void configure(String level, String format, boolean toStderr) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    addConsole(ctx, format, toStderr);
    ctx.getLogger("io.grpc").setLevel(Level.WARN);
    setLevel(level);
  }

  /**
   * Adds the console appender to {@code ctx}'s root logger: one line per event in {@link #PATTERN}
   * ({@code format} {@code text}) or one JSON object ({@code json}), on stdout or stderr.
   */
  static void addConsole(LoggerContext ctx, String format, boolean toStderr) {
    Encoder<ILoggingEvent> encoder;
    if (format.equals("json")) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(ctx);
      json.start();
      encoder = json;
    } else {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setContext(ctx);
      text.setPattern(PATTERN);
      text.start();
      encoder = text;
    }
    ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
    out.setContext(ctx);
    out.setName("STDOUT");
    out.setEncoder(encoder);
    if (toStderr) {
      out.setTarget("System.err");
    }
    out.start();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(out);
  }

  /** Sets the root level ({@code trace} .. {@code error}). */
  public static void setLevel(String level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME)
        .setLevel(Level.toLevel(level.toUpperCase(Locale.ROOT), Level.INFO));
  }
}
