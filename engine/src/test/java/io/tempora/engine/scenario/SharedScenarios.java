package io.tempora.engine.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * One dynamic test per shared scenario file, run through any client: the in-process engine, a gRPC
 * shard, later a router. Fails (never skips) when the folder is missing or empty.
 */
public final class SharedScenarios {
  private static final int MAX_REPORTED = 200;

  private SharedScenarios() {}

  /** The tests of every {@code shared/scenarios/*.json}, each on fresh clients from the factory. */
  public static Stream<DynamicTest> dynamicTests(ScenarioClient.Factory clients)
      throws IOException {
    Path dir = ScenarioFolder.locate();
    List<Path> files = ScenarioFolder.files(dir);
    assertThat(files).as("scenario files (*.json) in %s", dir).isNotEmpty();
    ScenarioRunner runner = new ScenarioRunner(clients);
    return files.stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getFileName().toString(), f.toUri(), () -> assertPasses(runner, f)));
  }

  private static void assertPasses(ScenarioRunner runner, Path file) throws IOException {
    List<String> mismatches = runner.run(file);
    if (!mismatches.isEmpty()) {
      List<String> shown = mismatches.subList(0, Math.min(MAX_REPORTED, mismatches.size()));
      fail(mismatches.size() + " mismatch(es) in " + file + ":\n" + String.join("\n", shown));
    }
  }
}
