package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An independent client: Node's {@code @grpc/grpc-js} with {@code @grpc/proto-loader} (installed
 * pinned into the git-ignored {@code .tools/node-client} by {@code node-client.sh}) drives the real
 * shard process with the published .proto files: set ontology, ingest, query, get entity, list
 * conflicts and one bad request ({@code deploy/src/test/node/client.js}).
 */
class NodeClientIT {
  private static final Logger LOG = LoggerFactory.getLogger(NodeClientIT.class);

  @TempDir Path tmp;

  @Test
  void nodeClient_againstRealShard_passesEveryCheck() throws Exception {
    Path root = ShardHandle.root();
    String nodePath = install(root);
    try (ShardHandle shard = ShardHandle.start(tmp.resolve("data"), tmp.resolve("shard.log"))) {
      ProcessBuilder pb =
          new ProcessBuilder(
                  "node",
                  root.resolve("deploy/src/test/node/client.js").toString(),
                  root.resolve("proto/src/main/proto").toString(),
                  "127.0.0.1:" + shard.port)
              .redirectErrorStream(true);
      pb.environment().put("NODE_PATH", nodePath);
      Process node = pb.start();
      String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(node.waitFor(120, TimeUnit.SECONDS)).isTrue();

      assertThat(node.exitValue()).as("node client output:\n%s", out).isZero();
      assertThat(out.lines().filter(l -> l.startsWith("ok ")).count()).isEqualTo(6);
      assertThat(out)
          .contains("ok list conflicts")
          .contains("INVALID_ARGUMENT")
          .doesNotContain("FAIL");
    }
  }

  private static String install(Path root) throws Exception {
    Process p =
        new ProcessBuilder(root.resolve("deploy/src/test/scripts/node-client.sh").toString())
            .start();
    String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    String why = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.waitFor() != 0) {
      LOG.warn("skipping the Node client test: {}", why);
      Assumptions.abort("Node gRPC client unavailable: " + why);
    }
    return path;
  }
}
