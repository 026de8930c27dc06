package io.tempora.deploy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;

/**
 * Logback's configuration until a command applies {@code log.level} and {@code log.format}: one
 * line per event on stdout at INFO (OPERATIONS.md §6; logback's own default would be DEBUG), built
 * in code. Logback finds it through {@code META-INF/services}. Building it in code keeps logback's
 * XML configurator (Joran) off the start-up path, about 75 ms of CPU before a shard's first answer
 * (docs/BENCHMARKS.md). An XML configuration still wins: with {@code -Dlogback.configurationFile}
 * set, or a {@code logback-test.xml} or {@code logback.xml} on the class path, this steps aside and
 * logback reads that file as it documents.
 */
public final class LogbackDefaults extends ContextAwareBase implements Configurator {
  private final BooleanSupplier xmlConfigured;

  /** For {@link java.util.ServiceLoader}. */
  public LogbackDefaults() {
    this(LogbackDefaults::xmlConfigured);
  }

  /** With {@code xmlConfigured} telling whether an XML configuration is to be used instead. */
  LogbackDefaults(BooleanSupplier xmlConfigured) {
    this.xmlConfigured = xmlConfigured;
  }

  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    if (xmlConfigured.getAsBoolean()) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    // As the XML default had: logback's own status messages are not printed.
    ctx.getStatusManager().add(new NopStatusListener());
    Logging.addConsole(ctx, "text", false);
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
    // As the router's tempora-router-logback.xml has. The preload thread starts logback before
    // RouterMain could select that file, so the router relies on this default too.
    ctx.getLogger("io.grpc").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Whether logback's XML configurator has a file to read (the order it looks for them in). */
  static boolean xmlConfigured() {
    ClassLoader loader = LogbackDefaults.class.getClassLoader();
    return System.getProperty("logback.configurationFile") != null
        || loader.getResource("logback-test.xml") != null
        || loader.getResource("logback.xml") != null;
  }
}
