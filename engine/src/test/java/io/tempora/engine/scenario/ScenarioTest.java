package io.tempora.engine.scenario;

import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every shared acceptance scenario ({@code shared/scenarios/*.json}) on the in-process engine. */
class ScenarioTest {
  @TestFactory
  Stream<DynamicTest> run_eachSharedScenario_answersAsExpected() throws IOException {
    return SharedScenarios.dynamicTests(EngineScenarioClient::open);
  }
}
