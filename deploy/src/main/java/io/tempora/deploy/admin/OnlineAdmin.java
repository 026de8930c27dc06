package io.tempora.deploy.admin;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.CheckpointRequest;
import io.tempora.proto.v1.CheckpointResponse;
import io.tempora.proto.v1.CompactRequest;
import io.tempora.proto.v1.CompactResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.MissingShard;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The online {@code tempora admin} subcommands (OPERATIONS.md §1) that are one RPC against a
 * running router or shard: {@code stats}, {@code checkpoint}, {@code compact}, {@code reconcile}.
 * Exit status: 0 done, 1 the call failed (its gRPC code and message are printed), 2 bad arguments
 * (picocli).
 */
public final class OnlineAdmin {
  private OnlineAdmin() {}

  /** Where to connect and how to print: options every online subcommand shares. */
  public static final class Target {
    @Option(
        names = {"--router", "--target"},
        defaultValue = "127.0.0.1:7400",
        paramLabel = "HOST:PORT",
        description = "router (or single shard) to call (default: ${DEFAULT-VALUE})")
    String target;

    @Option(
        names = "--deadline-ms",
        defaultValue = "300000",
        description = "deadline of the call (default: ${DEFAULT-VALUE}, admin calls can be long)")
    long deadlineMs;

    @Option(names = "--json", description = "print the answer as JSON")
    boolean json;

    /** Runs {@code call} on a fresh plaintext channel; prints failures; the exit status. */
    int run(String what, Call call, PrintStream out, PrintStream err) {
      ManagedChannel channel =
          NettyChannelBuilder.forTarget(target)
              .usePlaintext()
              .maxInboundMessageSize(64 << 20)
              .build();
      try {
        JsonObject answer = call.apply(channel, deadlineMs);
        if (json) {
          out.println(new GsonBuilder().setPrettyPrinting().create().toJson(answer));
        } else {
          answer.entrySet().forEach(e -> out.printf("%-24s %s%n", e.getKey(), e.getValue()));
        }
        return 0;
      } catch (StatusRuntimeException e) {
        err.printf(
            "tempora admin %s: %s failed: %s%s%s%n",
            what,
            target,
            e.getStatus().getCode(),
            e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription(),
            e.getStatus().getCode() == io.grpc.Status.Code.UNIMPLEMENTED
                ? " (" + what + " needs a " + (what.equals("reconcile") ? "router" : "shard") + ")"
                : "");
        return 1;
      } finally {
        channel.shutdownNow();
        try {
          channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** One RPC and its answer as JSON. */
  @FunctionalInterface
  interface Call {
    JsonObject apply(ManagedChannel channel, long deadlineMs);
  }

  /** {@code tempora admin stats}: GetStats (records, entities, conflicts, last tx, ontology). */
  @Command(
      name = "stats",
      mixinStandardHelpOptions = true,
      description = "Prints records, entities, conflicts, the last transaction and the ontology.")
  public static final class Stats implements Callable<Integer> {
    @Mixin Target target;

    @Option(
        names = "--allow-partial",
        description = "answer from the shards that reply; list the others")
    boolean allowPartial;

    @Override
    public Integer call() {
      return target.run(
          "stats",
          (channel, deadlineMs) -> {
            GetStatsResponse r =
                TemporaServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                    .getStats(GetStatsRequest.newBuilder().setAllowPartial(allowPartial).build());
            JsonObject o = new JsonObject();
            o.addProperty("records", r.getRecords());
            o.addProperty("entities", r.getEntities());
            o.addProperty("conflicts", r.getConflicts());
            o.addProperty("last_tx", r.getLastTx());
            o.addProperty("ontology_version", r.getOntologyVersion());
            if (r.getMissingShardsCount() > 0) {
              o.addProperty(
                  "missing_shards",
                  String.join(
                      "; ", r.getMissingShardsList().stream().map(OnlineAdmin::missing).toList()));
            }
            return o;
          },
          System.out,
          System.err);
    }
  }

  /** {@code tempora admin checkpoint}: the Checkpoint RPC of a shard (STORAGE.md §6.1). */
  @Command(
      name = "checkpoint",
      mixinStandardHelpOptions = true,
      description = {
        "Takes a checkpoint of a shard now (--target is the shard's address). It lands in"
            + " <data-dir>/checkpoints/<tx>-<utc> on the shard's machine;"
            + " `tempora admin restore --from` takes it."
      })
  public static final class Checkpoint implements Callable<Integer> {
    @Mixin Target target;

    @Override
    public Integer call() {
      return target.run(
          "checkpoint",
          (channel, deadlineMs) -> {
            CheckpointResponse r =
                TemporaServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                    .checkpoint(CheckpointRequest.getDefaultInstance());
            JsonObject o = new JsonObject();
            o.addProperty("name", r.getName());
            o.addProperty("path", r.getPath());
            o.addProperty("last_tx", r.getLastTx());
            o.addProperty("created_unix_seconds", r.getCreatedUnixSeconds());
            return o;
          },
          System.out,
          System.err);
    }
  }

  /**
   * {@code tempora admin compact [--cf NAME] [--wait]}: the Compact RPC of a shard (STORAGE.md §8).
   */
  @Command(
      name = "compact",
      mixinStandardHelpOptions = true,
      description = {
        "Starts a manual compaction of one column family or all of them on a shard (--target is the"
            + " shard's address), bottommost level forced, so deleted keys and range tombstones"
            + " leave the files. It runs in the background unless --wait is given; one at a time"
            + " (a second one while it runs fails with FAILED_PRECONDITION)."
      })
  public static final class Compact implements Callable<Integer> {
    @Mixin Target target;

    @Option(
        names = "--cf",
        paramLabel = "NAME",
        description = "column family to compact (docs/storage.md); default: all of them")
    String cf;

    @Option(names = "--wait", description = "return only when the compaction has finished")
    boolean await;

    @Override
    public Integer call() {
      return target.run(
          "compact",
          (channel, deadlineMs) -> {
            CompactResponse r =
                TemporaServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                    .compact(
                        CompactRequest.newBuilder()
                            .setCf(cf == null ? "" : cf)
                            .setWait(await)
                            .build());
            JsonObject o = new JsonObject();
            o.addProperty("column_families", String.join(",", r.getColumnFamiliesList()));
            o.addProperty("finished", r.getFinished());
            if (r.getFinished()) {
              o.addProperty("seconds", r.getSeconds());
            }
            return o;
          },
          System.out,
          System.err);
    }
  }

  /** {@code tempora admin reconcile [--full]}: a reconciliation run on the router now. */
  @Command(
      name = "reconcile",
      mixinStandardHelpOptions = true,
      description = "Runs reconciliation on the router now and prints what it did.")
  public static final class Reconcile implements Callable<Integer> {
    @Mixin Target target;

    @Option(
        names = "--full",
        description = "read every live record instead of only what changed (repair, restore)")
    boolean full;

    @Override
    public Integer call() {
      return target.run(
          "reconcile",
          (channel, deadlineMs) -> {
            ReconcileResponse r =
                RouterGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                    .reconcile(ReconcileRequest.newBuilder().setFull(full).build());
            JsonObject o = new JsonObject();
            o.addProperty("full", r.getFull());
            o.addProperty("rounds", r.getRounds());
            o.addProperty("changes", r.getChanges());
            o.addProperty("records", r.getRecords());
            o.addProperty("components", r.getComponents());
            o.addProperty("cross_shard_components", r.getCrossShardComponents());
            o.addProperty("moved", r.getMoved());
            o.addProperty("stale_copies_removed", r.getStaleCopiesRemoved());
            return o;
          },
          System.out,
          System.err);
    }
  }

  private static String missing(MissingShard m) {
    return "shard " + m.getShardId() + " (" + m.getAddress() + ") " + m.getCode();
  }
}
