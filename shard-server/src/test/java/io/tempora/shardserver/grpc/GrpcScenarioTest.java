package io.tempora.shardserver.grpc;

import io.tempora.engine.scenario.SharedScenarios;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every shared acceptance scenario through gRPC: a fresh in-process shard server per run. */
class GrpcScenarioTest {
  @TestFactory
  Stream<DynamicTest> run_eachSharedScenarioOverGrpc_answersAsExpected() throws IOException {
    return SharedScenarios.dynamicTests(GrpcScenarioClient::open);
  }
}
