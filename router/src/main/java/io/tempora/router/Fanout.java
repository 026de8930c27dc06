package io.tempora.router;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.tempora.proto.v1.MissingShard;
import io.tempora.shardserver.grpc.Statuses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Parallel calls to shards with the failure rules of DISTRIBUTED.md §3 and §4 "Fan-out": at most
 * {@code parallelism} shard calls of one request at a time, each in the caller's gRPC context (so a
 * cancelled client call cancels its shard calls), and a failed shard named with its code. Thread
 * -safe.
 */
final class Fanout {
  private static final long[] RETRY_MS = {50, 200};

  /** Waits between the retries of {@link #call}; {@link Thread#sleep} outside tests. */
  @FunctionalInterface
  interface RetryPause {
    /** Waits {@code ms} milliseconds. */
    void pause(long ms) throws InterruptedException;
  }

  /**
   * Test seam (RouterSimulationTest): the simulation retries without real sleeps. Global to the
   * JVM; set it back to the value {@link #retryPause} returned.
   */
  private static volatile RetryPause retryPause = Thread::sleep;

  /** Trailer carrying one {@link MissingShard} per shard that did not answer a fan-out read. */
  static final Metadata.Key<MissingShard> MISSING_SHARD_KEY =
      ProtoUtils.keyForProto(MissingShard.getDefaultInstance());

  private final List<ShardClient> shards;
  private final ExecutorService executor;
  private final int parallelism;

  Fanout(List<ShardClient> shards, ExecutorService executor, int parallelism) {
    this.shards = shards;
    this.executor = executor;
    this.parallelism = parallelism;
  }

  /**
   * The deadline of one shard call made now: the client's remaining deadline (the current gRPC
   * context's) minus {@code margin}, at least 1 ms; without a client deadline, {@code fallback}.
   */
  static Duration perCall(Duration fallback, Duration margin) {
    Deadline client = Context.current().getDeadline();
    if (client == null) {
      return fallback;
    }
    long ms = client.timeRemaining(TimeUnit.MILLISECONDS) - margin.toMillis();
    return Duration.ofMillis(Math.max(1, ms));
  }

  /**
   * Runs one call on a shard, turning its failure into the client-facing status. UNAVAILABLE from a
   * shard means it did not apply the call (refused connection, starting or stopping), so even a
   * write is retried: at most 2 more times, 50 ms then 200 ms, after resetting the reconnect
   * backoff.
   */
  static <T> T call(ShardClient shard, Function<ShardClient, T> rpc) {
    for (int attempt = 0; ; attempt++) {
      try {
        return rpc.apply(shard);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt >= RETRY_MS.length) {
          throw shard.failure(e);
        }
        shard.channel().resetConnectBackoff();
        try {
          retryPause.pause(RETRY_MS[attempt]);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw shard.failure(e);
        }
      }
    }
  }

  /** Replaces how {@link #call} waits between retries (a test seam); returns the previous one. */
  static RetryPause retryPause(RetryPause pause) {
    RetryPause previous = retryPause;
    retryPause = pause;
    return previous;
  }

  /**
   * The answers of a fan-out read in shard order ({@code null} where a shard is missing) and the
   * missing shards.
   */
  record Gathered<T>(List<T> answers, List<MissingShard> missing) {}

  /**
   * Runs {@code rpc} on every shard in parallel; answers in shard order. A failure of any shard
   * fails the whole call: a definite shard error as is, otherwise UNAVAILABLE naming every shard
   * that did not answer (never a silent partial answer).
   */
  <T> List<T> all(Function<ShardClient, T> rpc) {
    return gather(rpc, false).answers();
  }

  /**
   * As {@link #all}, but with {@code allowPartial} shards that did not answer (UNAVAILABLE, missed
   * deadline, cancelled) are listed in {@link Gathered#missing} instead of failing the call. A
   * definite error of a shard (e.g. INVALID_ARGUMENT) fails the call either way.
   */
  <T> Gathered<T> gather(Function<ShardClient, T> rpc, boolean allowPartial) {
    int n = shards.size();
    List<T> answers = new ArrayList<>(Arrays.asList(newArray(n)));
    RuntimeException[] errors = new RuntimeException[n];
    if (n == 1) {
      run(0, rpc, answers, errors);
    } else {
      Context context = Context.current();
      AtomicInteger next = new AtomicInteger();
      List<CompletableFuture<Void>> workers = new ArrayList<>();
      for (int w = 0; w < Math.min(parallelism, n); w++) {
        workers.add(
            CompletableFuture.runAsync(
                context.wrap(
                    () -> {
                      for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        run(i, rpc, answers, errors);
                      }
                    }),
                executor));
      }
      workers.forEach(CompletableFuture::join);
    }
    List<MissingShard> missing = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (errors[i] == null) {
        continue;
      }
      Status s = Statuses.toStatus(errors[i]);
      if (s.getCode() != Status.Code.UNAVAILABLE) {
        throw errors[i];
      }
      missing.add(missing(shards.get(i), errors[i]));
    }
    if (!missing.isEmpty() && !allowPartial) {
      throw missingShards(missing);
    }
    return new Gathered<>(answers, missing);
  }

  /**
   * Runs every task in parallel, each in the caller's gRPC context (a round's lease epoch), and
   * waits for all of them; answers in task order. If any failed, the first failure (in task order)
   * is thrown once every task has ended.
   */
  <T> List<T> each(List<Supplier<T>> tasks) {
    if (tasks.size() == 1) {
      return List.of(tasks.getFirst().get());
    }
    Context context = Context.current();
    List<CompletableFuture<T>> futures = new ArrayList<>();
    for (Supplier<T> t : tasks) {
      futures.add(
          CompletableFuture.supplyAsync(
              () -> {
                Context previous = context.attach();
                try {
                  return t.get();
                } finally {
                  context.detach(previous);
                }
              },
              executor));
    }
    List<T> out = new ArrayList<>();
    RuntimeException first = null;
    for (CompletableFuture<T> f : futures) {
      try {
        out.add(f.join());
      } catch (CompletionException e) {
        if (first == null) {
          first =
              e.getCause() instanceof RuntimeException r
                  ? r
                  : new IllegalStateException(e.getCause());
        }
      }
    }
    if (first != null) {
      throw first;
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static <T> T[] newArray(int n) {
    return (T[]) new Object[n];
  }

  private <T> void run(
      int i, Function<ShardClient, T> rpc, List<T> answers, RuntimeException[] errors) {
    try {
      answers.set(i, call(shards.get(i), rpc));
    } catch (RuntimeException e) {
      errors[i] = e;
    }
  }

  /** The missing-shard entry of a failure {@link #call} produced: the shard's own code. */
  private static MissingShard missing(ShardClient shard, RuntimeException e) {
    Status original =
        e.getCause() instanceof StatusRuntimeException cause
            ? cause.getStatus()
            : Statuses.toStatus(e);
    return MissingShard.newBuilder()
        .setShardId(shard.id())
        .setAddress(shard.address())
        .setCode(original.getCode().name())
        .setMessage(original.getDescription() == null ? "" : original.getDescription())
        .build();
  }

  /**
   * UNAVAILABLE {@code missing shards: shard 1 (host:port) UNAVAILABLE: …; …}, with one {@link
   * #MISSING_SHARD_KEY} trailer per missing shard.
   */
  static StatusRuntimeException missingShards(List<MissingShard> missing) {
    List<String> named = new ArrayList<>();
    Metadata trailers = new Metadata();
    for (MissingShard m : missing) {
      named.add(
          "shard "
              + m.getShardId()
              + " ("
              + m.getAddress()
              + ") "
              + m.getCode()
              + (m.getMessage().isEmpty() ? "" : ": " + m.getMessage()));
      trailers.put(MISSING_SHARD_KEY, m);
    }
    return Status.UNAVAILABLE
        .withDescription("missing shards: " + String.join("; ", named))
        .asRuntimeException(trailers);
  }

  /**
   * What a parallel group send achieved: answers by shard, the request positions of the groups that
   * failed with one reason per failed shard, and the first definite (non-UNAVAILABLE) error.
   */
  record Outcome<T>(
      Map<Integer, T> answers,
      List<Integer> failed,
      List<String> reasons,
      StatusRuntimeException definite) {}

  /**
   * Sends each group of request positions to its shard (the map key) in parallel and reports which
   * groups failed, without throwing.
   */
  <T> Outcome<T> tryGroups(
      Map<Integer, List<Integer>> groups, BiFunction<ShardClient, List<Integer>, T> rpc) {
    Context context = Context.current();
    Map<Integer, CompletableFuture<T>> futures = new TreeMap<>();
    for (var g : groups.entrySet()) {
      ShardClient shard = shards.get(g.getKey());
      futures.put(
          g.getKey(),
          CompletableFuture.supplyAsync(
              () -> {
                Context previous = context.attach();
                try {
                  return call(shard, c -> rpc.apply(c, g.getValue()));
                } finally {
                  context.detach(previous);
                }
              },
              executor));
    }
    Map<Integer, T> answers = new TreeMap<>();
    List<Integer> failed = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    StatusRuntimeException definite = null;
    for (var f : futures.entrySet()) {
      try {
        answers.put(f.getKey(), f.getValue().join());
      } catch (CompletionException e) {
        Status s = Statuses.toStatus(e.getCause());
        if (s.getCode() != Status.Code.UNAVAILABLE && definite == null) {
          definite = s.asRuntimeException();
        }
        failed.addAll(groups.get(f.getKey()));
        reasons.add("shard " + f.getKey() + " " + s.getCode());
      }
    }
    return new Outcome<>(answers, failed, reasons, definite);
  }

  /**
   * As {@link #tryGroups}, but succeeds only when every group succeeded. Otherwise a definite error
   * when every group failed with one, else UNAVAILABLE listing the failed positions.
   */
  <T> Map<Integer, T> groups(
      Map<Integer, List<Integer>> groups, BiFunction<ShardClient, List<Integer>, T> rpc) {
    Outcome<T> o = tryGroups(groups, rpc);
    if (o.definite() != null && o.answers().isEmpty()) {
      throw o.definite();
    }
    if (!o.failed().isEmpty()) {
      throw partialFailure(o.failed(), o.reasons());
    }
    return o.answers();
  }

  /**
   * DISTRIBUTED.md §3: UNAVAILABLE listing the failed request positions (ascending) and, per failed
   * shard, its code; positions not listed were applied, and resending is safe.
   */
  static StatusRuntimeException partialFailure(List<Integer> failed, List<String> reasons) {
    List<Integer> sorted = new ArrayList<>(failed);
    sorted.sort(Comparator.naturalOrder());
    return Status.UNAVAILABLE
        .withDescription(
            "failed positions "
                + sorted
                + " ("
                + String.join(", ", reasons)
                + "); other positions were applied; resending the request is safe")
        .asRuntimeException();
  }
}
