package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.CheckpointRequest;
import io.tempora.proto.v1.CheckpointResponse;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.Record;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints of the real shard process (issue 3 item 6, STORAGE.md §6.1): the Checkpoint RPC,
 * SIGKILL, {@code bin/tempora admin restore} into a new data dir, {@code bin/tempora verify} on it,
 * and a shard started on it answering exactly as the original did for every write acknowledged
 * before the checkpoint; scheduled checkpoints switched on and off by SIGHUP, with retention.
 */
class CheckpointRestoreIT {
  private static final Pattern OK_COUNT =
      Pattern.compile("(?m)^tempora_checkpoints_total\\{result=\"ok\"} (\\S+)");
  private static final Pattern LAST =
      Pattern.compile("(?m)^tempora_last_checkpoint_timestamp_seconds (\\S+)");

  @TempDir Path tmp;

  @Test
  void checkpointRpc_sigkillThenRestoreIntoNewDir_answersEqualForWritesBeforeTheCheckpoint()
      throws Exception {
    Path data = tmp.resolve("data");
    Path restored = tmp.resolve("restored");
    Map<String, Object> before = new LinkedHashMap<>();
    CheckpointResponse checkpoint;
    try (ShardHandle shard = ShardHandle.start(data, tmp.resolve("shard.log"))) {
      for (int i = 0; i < 30; i += 3) {
        shard
            .stub()
            .ingest(
                IngestRequest.newBuilder()
                    .addRecords(record("r" + i))
                    .addRecords(record("r" + (i + 1)))
                    .addRecords(record("r" + (i + 2)))
                    .build());
      }
      answers(shard, before);
      checkpoint = shard.stub().checkpoint(CheckpointRequest.getDefaultInstance());
      for (int i = 0; i < 5; i++) {
        shard.stub().ingest(IngestRequest.newBuilder().addRecords(record("late" + i)).build());
      }
      assertThat(checkpoint.getLastTx())
          .isEqualTo(((GetStatsResponse) before.get("stats")).getLastTx());
      assertThat(Path.of(checkpoint.getPath()))
          .isEqualTo(data.resolve("checkpoints").resolve(checkpoint.getName()))
          .isDirectory();
      assertThat(checkpoint.getCreatedUnixSeconds())
          .isBetween(Instant.now().getEpochSecond() - 600, Instant.now().getEpochSecond());
      String metrics = shard.http("/metrics").body();
      assertThat(metric(OK_COUNT, metrics)).isEqualTo(1.0);
      assertThat(metrics).contains("tempora_checkpoint_duration_seconds_count 1");
      assertThat(metric(LAST, metrics)).isEqualTo((double) checkpoint.getCreatedUnixSeconds());

      shard.process.destroyForcibly(); // SIGKILL
      assertThat(shard.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    assertThat(
            tempora(
                "admin",
                "restore",
                "--from",
                checkpoint.getPath(),
                "--data-dir",
                restored.toString()))
        .startsWith("0:")
        .contains("restored checkpoint")
        .contains("shard 0");
    assertThat(tempora("verify", "--data-dir", restored.toString()))
        .startsWith("0:")
        .contains("clean");
    assertThat(
            tempora(
                "admin",
                "restore",
                "--from",
                checkpoint.getPath(),
                "--data-dir",
                restored.toString()))
        .as("a non-empty target is refused")
        .startsWith("2:")
        .contains("not empty");

    try (ShardHandle again = ShardHandle.start(restored, tmp.resolve("restored.log"))) {
      Map<String, Object> after = new LinkedHashMap<>();
      answers(again, after);
      assertThat(after).isEqualTo(before);
      assertThatThrownBy(() -> again.stub().getRecord(getRecord("late0")))
          .as("a write after the checkpoint is not in it")
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
  }

  @Test
  void adminCompact_deletedRecordsThenCompact_finishesAndCountsAndNamesBadInput() throws Exception {
    try (ShardHandle shard = ShardHandle.start(tmp.resolve("data"), tmp.resolve("shard.log"))) {
      for (int i = 0; i < 9; i += 3) {
        shard
            .stub()
            .ingest(
                IngestRequest.newBuilder()
                    .addRecords(record("r" + i))
                    .addRecords(record("r" + (i + 1)))
                    .addRecords(record("r" + (i + 2)))
                    .build());
      }
      String target = "127.0.0.1:" + shard.port;

      String done = tempora("admin", "compact", "--target", target, "--wait", "--json");
      assertThat(done).startsWith("0:").contains("\"finished\": true").contains("events");
      assertThat(tempora("admin", "compact", "--target", target, "--cf", "records"))
          .as("in the background")
          .startsWith("0:")
          .contains("records");
      assertThat(tempora("admin", "compact", "--target", target, "--cf", "recordz"))
          .startsWith("1:")
          .contains("compact")
          .contains("INVALID_ARGUMENT")
          .contains("'recordz'");

      String metrics = shard.http("/metrics").body();
      assertThat(metrics).contains("tempora_manual_compactions_running");
      assertThat(metrics)
          .containsPattern("(?m)^tempora_manual_compactions_total\\{result=\"ok\"} [12]\\.0$");
    }
  }

  @Test
  void sighup_checkpointIntervalOnThenOff_takesScheduledCheckpointsAndKeepsRetain()
      throws Exception {
    Path toml = tmp.resolve("tempora.toml");
    Path data = tmp.resolve("data");
    Files.writeString(toml, "storage.checkpoint_interval = \"0\"\nstorage.checkpoint_retain = 2\n");
    try (ShardHandle shard =
        ShardHandle.start(data, tmp.resolve("shard.log"), "--config", toml.toString())) {
      shard.stub().ingest(IngestRequest.newBuilder().addRecords(record("a")).build());
      assertThat(shard.log()).contains("checkpoints: not scheduled, keep 2");

      Files.writeString(
          toml, "storage.checkpoint_interval = \"1s\"\nstorage.checkpoint_retain = 2\n");
      shard.signal("HUP");
      awaitCheckpoints(shard, 3);
      Files.writeString(
          toml, "storage.checkpoint_interval = \"0\"\nstorage.checkpoint_retain = 2\n");
      shard.signal("HUP");
      // Logged on the checkpoint thread: no scheduled checkpoint runs after this line.
      shard.awaitLog(
          l ->
              l.indexOf("checkpoints: not scheduled")
                  != l.lastIndexOf("checkpoints: not scheduled"),
          "the schedule switched off");

      assertThat(shard.log()).contains("checkpoints: every PT1S, keep 2");
      assertThat(finished(data)).hasSize(2);
    }
  }

  private static double metric(Pattern p, String metrics) {
    Matcher m = p.matcher(metrics);
    assertThat(m.find()).as("%s in\n%s", p, metrics).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static void awaitCheckpoints(ShardHandle shard, int atLeast) throws Exception {
    Instant deadline = Instant.now().plus(ShardHandle.STARTUP);
    while (Instant.now().isBefore(deadline)) {
      Matcher m = OK_COUNT.matcher(shard.http("/metrics").body());
      if (m.find() && Double.parseDouble(m.group(1)) >= atLeast) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    throw new AssertionError("fewer than " + atLeast + " scheduled checkpoints:\n" + shard.log());
  }

  private static List<Path> finished(Path data) throws Exception {
    try (Stream<Path> s = Files.list(data.resolve("checkpoints"))) {
      return s.filter(p -> !p.getFileName().toString().endsWith(".tmp")).toList();
    }
  }

  /** Every answer compared before and after: each record, each email's query, the stats. */
  private static void answers(ShardHandle shard, Map<String, Object> out) {
    for (int i = 0; i < 30; i++) {
      out.put("record r" + i, shard.stub().getRecord(getRecord("r" + i)));
    }
    for (int e = 0; e < 7; e++) {
      out.put(
          "query e" + e,
          shard
              .stub()
              .queryEntities(
                  QueryEntitiesRequest.newBuilder()
                      .addDescriptors(
                          AttrValue.newBuilder().setAttr("email").setValue("e" + e + "@x"))
                      .build()));
    }
    out.put("stats", shard.stub().getStats(GetStatsRequest.getDefaultInstance()));
  }

  /** Runs bin/tempora to completion; returns "exit:output". */
  private static String tempora(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(List.of(ShardHandle.root().resolve("bin/tempora").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() + ":" + out;
  }

  private static GetRecordRequest getRecord(String uid) {
    return GetRecordRequest.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .build();
  }

  /** Records r0..r29 share 7 emails, so entities merge; "late" records have their own. */
  private static Record record(String uid) {
    String email = uid.startsWith("r") ? "e" + Integer.parseInt(uid.substring(1)) % 7 : uid;
    return Record.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue(email + "@x"))
        .build();
  }
}
