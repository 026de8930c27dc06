package io.tempora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick start's golden output (OP-T12): a real shard on a data directory, driven over gRPC;
 * twice in a row on the same directory the output is the same and the second run says it reused the
 * directory.
 */
class QuickstartTest {
  @TempDir Path tmp;

  /** Runs the quick start; returns {stdout, stderr}. */
  private String[] run(Path dataDir) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Quickstart.run(
        dataDir,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {
      out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)
    };
  }

  private static String expected() throws IOException {
    try (InputStream in = QuickstartTest.class.getResourceAsStream("/quickstart-expected.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void quickstart_twiceOnSameDataDir_printsGoldenOutputAndSaysItReused() throws IOException {
    Path data = tmp.resolve("tempora-quickstart");

    String[] first = run(data);
    String[] second = run(data);

    assertThat(first[0]).isEqualTo(expected());
    assertThat(second[0]).isEqualTo(first[0]);
    assertThat(first[1]).contains("created data directory").contains("0 already stored");
    assertThat(second[1]).contains("reusing data directory").contains("(0 created");
  }

  @Test
  void sampleDataset_bundled_hasAFewHundredRecordsFromThreePerspectives() {
    SampleDataset data = SampleDataset.load();

    assertThat(data.records()).hasSizeBetween(200, 1000);
    assertThat(
            data.records().stream()
                .map(r -> r.identity().perspective())
                .filter(p -> p.equals("crm") || p.equals("erp") || p.equals("hr"))
                .distinct()
                .count())
        .isEqualTo(3);
    assertThat(
            data.records().stream()
                .filter(
                    r ->
                        r.descriptors().stream()
                            .anyMatch(d -> d.end() != io.tempora.engine.temporal.Interval.POS_INF)))
        .isNotEmpty();
    assertThat(data.ontology().identityKeys()).isNotEmpty();
  }

  @Test
  void sampleDataset_committedFile_equalsGeneratorOutput() throws IOException {
    String committed;
    try (InputStream in = QuickstartTest.class.getResourceAsStream("/sample/dataset.tsv")) {
      committed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    assertThat(committed)
        .as(
            "regenerate with: java deploy/src/test/java/io/tempora/deploy/SampleDatasetGenerator.java")
        .isEqualTo(SampleDatasetGenerator.dataset(committed));
  }
}
