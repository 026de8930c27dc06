package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.tempora.engine.scenario.ScenarioFolder;
import io.tempora.engine.scenario.ScenarioRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every shared acceptance scenario through gRPC: a fresh in-process shard server per run. */
class GrpcScenarioTest {
  private static final int MAX_REPORTED = 200;

  @TestFactory
  Stream<DynamicTest> run_eachSharedScenarioOverGrpc_answersAsExpected() throws IOException {
    Path dir = ScenarioFolder.locate();
    List<Path> files = ScenarioFolder.files(dir);
    assertThat(files).as("scenario files (*.json) in %s", dir).isNotEmpty();
    ScenarioRunner runner = new ScenarioRunner(GrpcScenarioClient::open);
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
