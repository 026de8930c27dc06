package io.tempora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The quick start's golden output: entities, conflicts and the query answer. */
class QuickstartTest {
  private static String run() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Quickstart.run(new PrintStream(buf, true, StandardCharsets.UTF_8));
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void quickstart_bundledDataset_printsExpectedTables() throws IOException {
    String expected;
    try (InputStream in = QuickstartTest.class.getResourceAsStream("/quickstart-expected.txt")) {
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(run()).isEqualTo(expected);
  }

  @Test
  void quickstart_runTwice_printsSameOutput() {
    assertThat(run()).isEqualTo(run());
  }

  @Test
  void sampleDataset_bundled_hasRecordsFromSeveralPerspectives() {
    SampleDataset data = SampleDataset.load();
    assertThat(data.records()).hasSizeGreaterThan(10);
    assertThat(data.records().stream().map(r -> r.identity().perspective()).distinct().count())
        .isGreaterThanOrEqualTo(3);
    assertThat(data.ontology().identityKeys()).isNotEmpty();
  }
}
