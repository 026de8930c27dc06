package io.tempora.router;

import io.tempora.engine.scenario.SharedScenarios;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every shared acceptance scenario through a router in front of one in-process shard. */
class RouterScenarioTest {
  @TestFactory
  Stream<DynamicTest> run_eachSharedScenarioThroughRouterWithOneShard_answersAsExpected()
      throws IOException {
    return SharedScenarios.dynamicTests(RouterScenarioClient.factory(1));
  }
}
