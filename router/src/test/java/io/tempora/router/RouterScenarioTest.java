package io.tempora.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.tempora.engine.scenario.ScenarioFolder;
import io.tempora.engine.scenario.ScenarioRunner;
import io.tempora.engine.scenario.SharedScenarios;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every shared acceptance scenario through a router in front of one and of three in-process shards.
 * With three, the runner skips ids and tx numbers (scenario README) and the client reconciles after
 * every write step; entity change events are left out (docs/distributed.md, "Events"):
 * reconciliation moves emit their own events and ListEntityChanges is not merged.
 */
class RouterScenarioTest {
  @TestFactory
  Stream<DynamicTest> run_eachSharedScenarioThroughRouterWithOneShard_answersAsExpected()
      throws IOException {
    return SharedScenarios.dynamicTests(RouterScenarioClient.factory(1));
  }

  @TestFactory
  Stream<DynamicTest> run_eachSharedScenarioThroughRouterWithThreeShards_readsAnswerAsExpected()
      throws IOException {
    Path dir = ScenarioFolder.locate();
    List<Path> files = ScenarioFolder.files(dir);
    assertThat(files).as("scenario files in %s", dir).isNotEmpty();
    ScenarioRunner runner = new ScenarioRunner(RouterScenarioClient.factory(3));
    return files.stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getFileName().toString(),
                    f.toUri(),
                    () -> {
                      List<String> mismatches =
                          runner.run(f).stream().filter(m -> !m.contains("$.events")).toList();
                      if (!mismatches.isEmpty()) {
                        fail(
                            mismatches.size() + " mismatch(es):\n" + String.join("\n", mismatches));
                      }
                    }));
  }
}
