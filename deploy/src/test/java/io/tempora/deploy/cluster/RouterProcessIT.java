package io.tempora.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.WriteItem;
import io.tempora.router.ShardMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real shard and router processes (bin/shard, bin/router) on loopback: ingest and reads through the
 * router, and a shard killed with SIGKILL (DISTRIBUTED.md DS-T2, DS-T6).
 */
class RouterProcessIT {
  @TempDir Path tmp;

  @Test
  void router_oneShard_forwardsIngestAndQuery() throws Exception {
    try (Processes.Proc shard =
            Processes.shard(0, Processes.freePort(), tmp.resolve("s0"), tmp.resolve("s0.log"));
        Processes.Proc router =
            Processes.router(Processes.freePort(), List.of(shard), tmp.resolve("router.log"))) {
      IngestResponse r = router.stub().ingest(EmailRecords.request(List.of("a", "b")));
      var answer =
          router
              .stub()
              .queryEntities(
                  QueryEntitiesRequest.newBuilder()
                      .addDescriptors(AttrValue.newBuilder().setAttr("email").setValue("a@x"))
                      .build());

      assertThat(r.getItemsList())
          .extracting(WriteItem::getOutcome)
          .containsExactly(Outcome.OUTCOME_CREATED, Outcome.OUTCOME_CREATED);
      assertThat(answer.getMatches().getMatchesList()).hasSize(1);
    }
  }

  @Test
  void ingest_shardKilledThenRestarted_failsExactlyItsPositionsThenRetrySucceeds()
      throws Exception {
    int port1 = Processes.freePort();
    Processes.Proc shard0 =
        Processes.shard(0, Processes.freePort(), tmp.resolve("s0"), tmp.resolve("s0.log"));
    Processes.Proc shard1 = Processes.shard(1, port1, tmp.resolve("s1"), tmp.resolve("s1.log"));
    Processes.Proc router =
        Processes.router(Processes.freePort(), List.of(shard0, shard1), tmp.resolve("router.log"));
    try {
      List<String> uids = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        uids.add("u" + i);
      }
      ShardMap map = new ShardMap(2);
      List<Integer> onShard1 = new ArrayList<>();
      for (int i = 0; i < uids.size(); i++) {
        if (map.shardOf(EmailRecords.identity(uids.get(i))) == 1) {
          onShard1.add(i);
        }
      }
      assertThat(onShard1).as("the sample spreads over both shards").isNotEmpty();
      assertThat(onShard1.size()).isLessThan(uids.size());
      router.stub().ingest(EmailRecords.request(List.of("warm-up")));

      shard1.kill();
      StatusRuntimeException failure =
          catchThrowableOfType(
              StatusRuntimeException.class, () -> router.stub().ingest(EmailRecords.request(uids)));
      StatusRuntimeException stats =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> router.stub().getStats(GetStatsRequest.getDefaultInstance()));

      assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(failure.getStatus().getDescription())
          .startsWith("failed positions " + onShard1 + " (shard 1 UNAVAILABLE)");
      assertThat(stats.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(stats.getStatus().getDescription()).contains("shard 1 (127.0.0.1:" + port1 + ")");

      shard1 = Processes.shard(1, port1, tmp.resolve("s1"), tmp.resolve("s1.log"));
      IngestResponse retry = router.stub().ingest(EmailRecords.request(uids));
      var total = router.stub().getStats(GetStatsRequest.getDefaultInstance());

      for (int i = 0; i < uids.size(); i++) {
        assertThat(retry.getItems(i).getOutcome())
            .as("position %d", i)
            .isEqualTo(onShard1.contains(i) ? Outcome.OUTCOME_CREATED : Outcome.OUTCOME_UNCHANGED);
      }
      assertThat(total.getRecords()).isEqualTo(uids.size() + 1);
    } finally {
      router.close();
      shard1.close();
      shard0.close();
    }
  }
}
