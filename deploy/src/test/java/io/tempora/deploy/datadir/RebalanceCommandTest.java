package io.tempora.deploy.datadir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.proto.internal.v1.RebalanceRequest;
import io.tempora.proto.internal.v1.SlotRange;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RebalanceCommandTest {
  @Test
  void parseRanges_rangesAndSingleSlots_giveInclusiveRanges() {
    assertThat(RebalanceCommand.parseRanges("100-199, 300"))
        .containsExactly(range(100, 199), range(300, 300));
  }

  @Test
  void parseRanges_notANumber_namesThePart() {
    assertThatThrownBy(() -> RebalanceCommand.parseRanges("1-x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--move: '1-x' is not a slot or a range A-B of slots 0..16383");
  }

  @Test
  void run_routerWithoutPort_exits2NamingTheFlag() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        RebalanceCommand.run(
            "localhost",
            RebalanceRequest.newBuilder().setStatus(true).build(),
            5,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--router: 'localhost' must be HOST:PORT");
  }

  @Test
  void commandLine_twoActions_isAUsageError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine cli = new CommandLine(new RebalanceCommand());
    cli.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));

    int exit = cli.execute("--router", "127.0.0.1:1", "--status", "--abort");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("mutually exclusive");
  }

  private static SlotRange range(int first, int last) {
    return SlotRange.newBuilder().setFirst(first).setLast(last).build();
  }
}
