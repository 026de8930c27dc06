package io.tempora.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.MissingShard;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.router.ShardMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DISTRIBUTED.md §4 "Fan-out" and DS-T6 on real processes: a router in front of 2 bin/shard
 * processes, one of which is SIGKILLed (down) or SIGSTOPped (misses its deadline). Query,
 * ListConflicts and GetStats fail with UNAVAILABLE naming the shard, or with {@code allow_partial}
 * answer from the other shard and list it in {@code missing_shards}.
 */
class FanoutProcessIT {
  private static final ShardMap MAP = new ShardMap(2);

  @TempDir Path tmp;

  /** Two shards and a router; 40 records, spread over both shards by identity slot. */
  private record Cluster(
      Processes.Proc shard0, Processes.Proc shard1, Processes.Proc router, List<String> uids)
      implements AutoCloseable {

    static Cluster start(Path tmp, List<String> routerFlags) throws Exception {
      Processes.Proc s0 =
          Processes.shard(0, Processes.freePort(), tmp.resolve("s0"), tmp.resolve("s0.log"));
      Processes.Proc s1 =
          Processes.shard(1, Processes.freePort(), tmp.resolve("s1"), tmp.resolve("s1.log"));
      Processes.Proc router =
          Processes.router(
              Processes.freePort(), List.of(s0, s1), tmp.resolve("router.log"), routerFlags);
      List<String> uids = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        uids.add("u" + i);
      }
      router.stub().ingest(EmailRecords.request(uids));
      return new Cluster(s0, s1, router, uids);
    }

    /** A uid whose record lives on {@code shard} (empty ontology: home = identity slot). */
    String uidOn(int shard) {
      return uids.stream()
          .filter(u -> MAP.shardOf(EmailRecords.identity(u)) == shard)
          .findFirst()
          .orElseThrow();
    }

    @Override
    public void close() {
      router.close();
      shard1.close();
      shard0.close();
    }
  }

  @Test
  void reads_shardKilled_failUnavailableNamingIt() throws Exception {
    try (Cluster c = Cluster.start(tmp, List.of())) {
      c.shard1().kill();

      List<StatusRuntimeException> failures =
          List.of(
              failure(() -> c.router().stub().queryEntities(query(c.uidOn(0), false))),
              failure(
                  () -> c.router().stub().listConflicts(ListConflictsRequest.getDefaultInstance())),
              failure(() -> c.router().stub().getStats(GetStatsRequest.getDefaultInstance())));

      for (StatusRuntimeException f : failures) {
        assertThat(f.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(f.getStatus().getDescription())
            .startsWith("missing shards: shard 1 (" + c.shard1().address() + ") UNAVAILABLE");
        assertThat(missing(f))
            .extracting(MissingShard::getShardId, MissingShard::getAddress, MissingShard::getCode)
            .containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, c.shard1().address(), "UNAVAILABLE"));
      }
    }
  }

  @Test
  void reads_shardKilledWithAllowPartial_answerFromTheOtherAndListIt() throws Exception {
    try (Cluster c = Cluster.start(tmp, List.of())) {
      long onShard0 = c.shard0().stub().getStats(GetStatsRequest.getDefaultInstance()).getRecords();
      c.shard1().kill();

      QueryEntitiesResponse found = c.router().stub().queryEntities(query(c.uidOn(0), true));
      QueryEntitiesResponse lost = c.router().stub().queryEntities(query(c.uidOn(1), true));
      GetStatsResponse stats =
          c.router().stub().getStats(GetStatsRequest.newBuilder().setAllowPartial(true).build());
      ListConflictsResponse conflicts =
          c.router()
              .stub()
              .listConflicts(ListConflictsRequest.newBuilder().setAllowPartial(true).build());

      assertThat(onShard0).isPositive().isLessThan(c.uids().size());
      assertThat(found.getMatches().getMatchesCount()).isEqualTo(1);
      assertThat(lost.getMatches().getMatchesCount()).isZero();
      assertThat(stats.getRecords()).isEqualTo(onShard0);
      for (List<MissingShard> m :
          List.of(
              found.getMissingShardsList(),
              lost.getMissingShardsList(),
              stats.getMissingShardsList(),
              conflicts.getMissingShardsList())) {
        assertThat(m)
            .extracting(MissingShard::getShardId, MissingShard::getCode)
            .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "UNAVAILABLE"));
      }
      assertThat(conflicts.getNextPageToken())
          .as("the missing shard's conflicts can be resumed")
          .isNotEmpty();
    }
  }

  @Test
  void reads_shardStopped_missItsDeadlineWithinTheClientDeadline() throws Exception {
    // The router gives each shard call the client's remaining deadline minus a 2 s margin, so a
    // hung shard is reported by the router (UNAVAILABLE, DEADLINE_EXCEEDED) before the client's
    // own deadline expires.
    try (Cluster c = Cluster.start(tmp, List.of("--fanout-margin-ms", "2000"))) {
      c.shard1().signal("STOP");
      try {
        Function<Boolean, GetStatsRequest> stats =
            partial -> GetStatsRequest.newBuilder().setAllowPartial(partial).build();
        StatusRuntimeException strict =
            failure(
                () ->
                    c.router()
                        .stub()
                        .withDeadlineAfter(6, TimeUnit.SECONDS)
                        .getStats(stats.apply(false)));
        GetStatsResponse partial =
            c.router().stub().withDeadlineAfter(6, TimeUnit.SECONDS).getStats(stats.apply(true));

        assertThat(strict.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(strict.getStatus().getDescription())
            .startsWith("missing shards: shard 1 (" + c.shard1().address() + ") DEADLINE_EXCEEDED");
        assertThat(partial.getMissingShardsList())
            .extracting(MissingShard::getShardId, MissingShard::getCode)
            .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "DEADLINE_EXCEEDED"));
        assertThat(partial.getRecords()).isPositive().isLessThan(c.uids().size());
      } finally {
        c.shard1().signal("CONT");
      }
    }
  }

  private static StatusRuntimeException failure(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("the call fails").isNotNull();
    return e;
  }

  private static List<MissingShard> missing(StatusRuntimeException e) {
    List<MissingShard> out = new ArrayList<>();
    Iterable<MissingShard> all =
        e.getTrailers().getAll(ProtoUtils.keyForProto(MissingShard.getDefaultInstance()));
    if (all != null) {
      all.forEach(out::add);
    }
    return out;
  }

  private static QueryEntitiesRequest query(String uid, boolean allowPartial) {
    return QueryEntitiesRequest.newBuilder()
        .addDescriptors(AttrValue.newBuilder().setAttr("email").setValue(uid + "@x"))
        .setAllowPartial(allowPartial)
        .build();
  }
}
