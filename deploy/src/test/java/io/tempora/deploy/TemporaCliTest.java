package io.tempora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TemporaCliTest {
  @Test
  void commandLine_firstArgumentNamesASubcommand_buildsOnlyThatSubcommand() {
    assertThat(TemporaCli.commandLine(new String[] {"shard", "--listen", "x"}).getSubcommands())
        .containsOnlyKeys("shard");
    assertThat(TemporaCli.commandLine(new String[] {"router"}).getSubcommands())
        .containsOnlyKeys("router");
  }

  @Test
  void commandLine_noSubcommandFirst_buildsEverySubcommand() {
    int all = TemporaCli.SUBCOMMANDS.length;
    assertThat(TemporaCli.commandLine(new String[] {}).getSubcommands()).hasSize(all);
    assertThat(TemporaCli.commandLine(new String[] {"--help"}).getSubcommands()).hasSize(all);
    assertThat(TemporaCli.commandLine(new String[] {"shrad"}).getSubcommands()).hasSize(all);
  }

  @Test
  void execute_unknownSubcommand_usageErrorStillSuggestsTheKnownOnes() {
    StringWriter err = new StringWriter();
    String[] args = {"shrad"};
    CommandLine cl = TemporaCli.commandLine(args).setErr(new PrintWriter(err));

    assertThat(cl.execute(args)).isEqualTo(TemporaCli.EXIT_USAGE);
    assertThat(err.toString())
        .contains("Unmatched argument")
        .contains("'shrad'")
        .contains("Did you mean");
  }

  @Test
  void execute_subcommandHelp_printsThatSubcommandsUsage() {
    StringWriter out = new StringWriter();
    String[] args = {"shard", "--help"};
    CommandLine cl = TemporaCli.commandLine(args).setOut(new PrintWriter(out));

    assertThat(cl.execute(args)).isZero();
    assertThat(out.toString()).contains("tempora shard").contains("--data-dir");
  }

  @Test
  void startupDefaults_nettyJfrPropertyUnset_turnsNettyJfrEventsOff() {
    String before = System.clearProperty(TemporaCli.NETTY_JFR);
    try {
      TemporaCli.startupDefaults();

      assertThat(System.getProperty(TemporaCli.NETTY_JFR)).isEqualTo("false");
    } finally {
      restore(before);
    }
  }

  @Test
  void startupDefaults_nettyJfrPropertySet_keepsTheCommandLinesValue() {
    String before = System.setProperty(TemporaCli.NETTY_JFR, "true");
    try {
      TemporaCli.startupDefaults();

      assertThat(System.getProperty(TemporaCli.NETTY_JFR)).isEqualTo("true");
    } finally {
      restore(before);
    }
  }

  private static void restore(String value) {
    if (value == null) {
      System.clearProperty(TemporaCli.NETTY_JFR);
    } else {
      System.setProperty(TemporaCli.NETTY_JFR, value);
    }
  }
}
