package io.tempora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.NopStatusListener;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class LogbackDefaultsTest {
  @Test
  void configure_noXmlConfiguration_oneTextLinePerEventOnStdoutAtInfo() {
    LoggerContext ctx = new LoggerContext();
    LogbackDefaults defaults = new LogbackDefaults(() -> false);
    defaults.setContext(ctx);

    assertThat(defaults.configure(ctx)).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);

    ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.INFO);
    assertThat(ctx.getLogger("io.grpc").getLevel()).isEqualTo(Level.WARN);
    List<Appender<ILoggingEvent>> appenders = appenders(root);
    assertThat(appenders).hasSize(1);
    ConsoleAppender<ILoggingEvent> out = (ConsoleAppender<ILoggingEvent>) appenders.get(0);
    assertThat(out.getName()).isEqualTo("STDOUT");
    assertThat(out.getTarget()).isEqualTo("System.out");
    assertThat(out.isStarted()).isTrue();
    assertThat(((PatternLayoutEncoder) out.getEncoder()).getPattern())
        .isEqualTo("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger - %msg%n");
    assertThat(ctx.getStatusManager().getCopyOfStatusListenerList())
        .hasAtLeastOneElementOfType(NopStatusListener.class);
  }

  @Test
  void configure_xmlConfigurationPresent_leavesTheContextToLogbacksXmlConfigurator() {
    LoggerContext ctx = new LoggerContext();
    LogbackDefaults defaults = new LogbackDefaults(() -> true);
    defaults.setContext(ctx);

    assertThat(defaults.configure(ctx)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);

    assertThat(appenders(ctx.getLogger(Logger.ROOT_LOGGER_NAME))).isEmpty();
  }

  @Test
  void xmlConfigured_configurationFilePropertySet_isTrue() {
    String before = System.setProperty("logback.configurationFile", "custom.xml");
    try {
      assertThat(LogbackDefaults.xmlConfigured()).isTrue();
    } finally {
      if (before == null) {
        System.clearProperty("logback.configurationFile");
      } else {
        System.setProperty("logback.configurationFile", before);
      }
    }
  }

  @Test
  void serviceLoader_logbackConfigurators_findsLogbackDefaults() {
    assertThat(ServiceLoader.load(Configurator.class))
        .hasAtLeastOneElementOfType(LogbackDefaults.class);
  }

  private static List<Appender<ILoggingEvent>> appenders(ch.qos.logback.classic.Logger logger) {
    List<Appender<ILoggingEvent>> all = new ArrayList<>();
    logger.iteratorForAppenders().forEachRemaining(all::add);
    return all;
  }
}
