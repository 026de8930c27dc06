package io.tempora.router;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.shardserver.grpc.Statuses;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Parallel calls to shards with the failure rules of DISTRIBUTED.md §3 and §4 "Fan-out".
 * Thread-safe.
 */
final class Fanout {
  private static final long[] RETRY_MS = {50, 200};

  private final List<ShardClient> shards;
  private final ExecutorService executor;

  Fanout(List<ShardClient> shards, ExecutorService executor) {
    this.shards = shards;
    this.executor = executor;
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
          Thread.sleep(RETRY_MS[attempt]);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw shard.failure(e);
        }
      }
    }
  }

  /**
   * Runs {@code rpc} on every shard in parallel; answers in shard order. A failure of any shard
   * fails the whole call: a definite shard error as is, otherwise UNAVAILABLE naming every shard
   * that did not answer (never a silent partial answer).
   */
  <T> List<T> all(Function<ShardClient, T> rpc) {
    if (shards.size() == 1) {
      return List.of(call(shards.get(0), rpc));
    }
    List<CompletableFuture<T>> futures = new ArrayList<>();
    for (ShardClient s : shards) {
      futures.add(CompletableFuture.supplyAsync(() -> call(s, rpc), executor));
    }
    List<T> answers = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    StatusRuntimeException definite = null;
    for (CompletableFuture<T> f : futures) {
      try {
        answers.add(f.join());
      } catch (CompletionException e) {
        Status s = Statuses.toStatus(e.getCause());
        if (s.getCode() == Status.Code.UNAVAILABLE) {
          missing.add(s.getDescription());
        } else if (definite == null) {
          definite = s.asRuntimeException();
        }
      }
    }
    if (definite != null) {
      throw definite;
    }
    if (!missing.isEmpty()) {
      throw Status.UNAVAILABLE
          .withDescription("missing shards: " + String.join("; ", missing))
          .asRuntimeException();
    }
    return answers;
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
    Map<Integer, CompletableFuture<T>> futures = new TreeMap<>();
    for (var g : groups.entrySet()) {
      ShardClient shard = shards.get(g.getKey());
      futures.put(
          g.getKey(),
          CompletableFuture.supplyAsync(
              () -> call(shard, c -> rpc.apply(c, g.getValue())), executor));
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
