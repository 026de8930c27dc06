package io.tempora.router;

import io.tempora.proto.internal.v1.HomeClaim;
import io.tempora.proto.internal.v1.HomeMove;
import io.tempora.proto.internal.v1.ResolveHomesRequest;
import io.tempora.proto.internal.v1.ResolveHomesResponse;
import io.tempora.proto.internal.v1.SetHomesRequest;
import io.tempora.proto.internal.v1.SetHomesResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Identity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The router's view of the identity directory (DISTRIBUTED.md §3): rows live on the shard owning
 * the slot of the identity; lookups and claims go to those shards in parallel. No cache: every call
 * asks the shards. Thread-safe.
 */
final class Directory {
  /** Returned for an identity without a row. */
  static final int ABSENT = -1;

  /** Returned by {@link #tryResolve} for an identity whose directory shard did not answer. */
  static final int FAILED = -2;

  private final List<ShardClient> shards;
  private final ShardMap map;
  private final Fanout fanout;
  private final Duration deadline;

  Directory(List<ShardClient> shards, ShardMap map, Fanout fanout, Duration deadline) {
    this.shards = shards;
    this.map = map;
    this.fanout = fanout;
    this.deadline = deadline;
  }

  private ShardGrpc.ShardBlockingStub stub(ShardClient s) {
    return ShardGrpc.newBlockingStub(s.channel())
        .withInterceptors(LeaseEpoch.ATTACH)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Recorded home slots, claiming {@code proposed[i]} when absent ({@link #ABSENT}: look up only).
   */
  int[] resolve(List<Identity> ids, int[] proposed) {
    List<String> reasons = new ArrayList<>();
    int[] out = tryResolve(ids, proposed, reasons);
    List<Integer> failed = new ArrayList<>();
    for (int i = 0; i < out.length; i++) {
      if (out[i] == FAILED) {
        failed.add(i);
      }
    }
    if (!failed.isEmpty()) {
      throw Fanout.partialFailure(failed, reasons);
    }
    return out;
  }

  /**
   * As {@link #resolve}, but positions whose directory shard failed get {@link #FAILED} and one
   * reason per failed shard is added to {@code reasons}.
   */
  int[] tryResolve(List<Identity> ids, int[] proposed, List<String> reasons) {
    return tryResolve(ids, proposed, reasons, null);
  }

  /**
   * As {@link #tryResolve(List, int[], List)}, also recording in {@code seen} (when not null) each
   * answering directory shard's change counter, read there before its claims.
   */
  int[] tryResolve(List<Identity> ids, int[] proposed, List<String> reasons, Seen seen) {
    Map<Integer, List<Integer>> groups = new TreeMap<>();
    for (int i = 0; i < ids.size(); i++) {
      groups.computeIfAbsent(map.shardOf(ids.get(i)), k -> new ArrayList<>()).add(i);
    }
    int[] out = new int[ids.size()];
    BiFunction<ShardClient, List<Integer>, ResolveHomesResponse> rpc =
        (s, positions) -> {
          ResolveHomesRequest.Builder b = ResolveHomesRequest.newBuilder();
          for (int p : positions) {
            HomeClaim.Builder c = HomeClaim.newBuilder().setIdentity(ids.get(p));
            if (proposed[p] != ABSENT) {
              c.setProposedSlot(proposed[p]);
            }
            b.addClaims(c);
          }
          return stub(s).resolveHomes(b.build());
        };
    Fanout.Outcome<ResolveHomesResponse> o = fanout.tryGroups(groups, rpc);
    if (o.definite() != null) {
      throw o.definite();
    }
    for (int p : o.failed()) {
      out[p] = FAILED;
    }
    reasons.addAll(o.reasons());
    for (var e : o.answers().entrySet()) {
      List<Integer> positions = groups.get(e.getKey());
      for (int k = 0; k < positions.size(); k++) {
        var h = e.getValue().getHomes(k);
        out[positions.get(k)] = h.hasSlot() ? h.getSlot() : ABSENT;
      }
      if (seen != null) {
        seen.put(e.getKey(), version(e.getValue()));
      }
    }
    return out;
  }

  private static Version version(ResolveHomesResponse r) {
    return new Version(r.getDirectoryIncarnation(), r.getDirectoryChanges());
  }

  /**
   * A directory shard's change counter ({@code HomeDirectory.changes}) and the random number naming
   * it (0: a shard that does not report one).
   */
  record Version(long incarnation, long changes) {
    /** Whether {@code later}, read after this, proves that no home row changed in between. */
    boolean unchangedAt(Version later) {
      return incarnation != 0 && equals(later);
    }
  }

  /**
   * The change counters a write's directory calls saw, per directory shard, with the map epoch
   * whose owners the calls used (create it before the first call). Thread-confined.
   */
  static final class Seen {
    private final long epoch;
    private final Map<Integer, Version> versions = new TreeMap<>();

    Seen(long epoch) {
      this.epoch = epoch;
    }

    long epoch() {
      return epoch;
    }

    Version get(int shard) {
      return versions.get(shard);
    }

    void put(int shard, Version v) {
      versions.put(shard, v);
    }
  }

  /**
   * The current change counter of each of {@code directoryShards}: one ResolveHomes without claims
   * per shard, in parallel. A shard that fails is left out (the caller then looks its homes up).
   */
  Map<Integer, Version> versions(java.util.Set<Integer> directoryShards) {
    Map<Integer, List<Integer>> groups = new TreeMap<>();
    directoryShards.forEach(d -> groups.put(d, List.of()));
    Fanout.Outcome<ResolveHomesResponse> o =
        fanout.tryGroups(
            groups,
            (s, positions) -> stub(s).resolveHomes(ResolveHomesRequest.getDefaultInstance()));
    Map<Integer, Version> out = new TreeMap<>();
    o.answers().forEach((d, r) -> out.put(d, version(r)));
    return out;
  }

  /** Looks homes up without claiming. */
  int[] lookup(List<Identity> ids) {
    int[] none = new int[ids.size()];
    java.util.Arrays.fill(none, ABSENT);
    return resolve(ids, none);
  }

  /** Looks homes up without claiming; failed directory shards as in {@link #tryResolve}. */
  int[] tryLookup(List<Identity> ids, List<String> reasons) {
    return tryLookup(ids, reasons, null);
  }

  /** As {@link #tryLookup(List, List)}, recording the change counters in {@code seen}. */
  int[] tryLookup(List<Identity> ids, List<String> reasons, Seen seen) {
    int[] none = new int[ids.size()];
    java.util.Arrays.fill(none, ABSENT);
    return tryResolve(ids, none, reasons, seen);
  }

  /**
   * Compare-and-set of several homes (identity {@code i} from {@code expected[i]} to {@code next}):
   * one SetHomes call per directory shard, in parallel; returns the slot recorded afterwards per
   * identity ({@link #ABSENT}: no row).
   */
  int[] moveAll(List<Identity> ids, int[] expected, int next) {
    Map<Integer, List<Integer>> groups = new TreeMap<>();
    for (int i = 0; i < ids.size(); i++) {
      groups.computeIfAbsent(map.shardOf(ids.get(i)), k -> new ArrayList<>()).add(i);
    }
    Map<Integer, SetHomesResponse> answers =
        fanout.groups(
            groups,
            (s, positions) -> {
              SetHomesRequest.Builder b = SetHomesRequest.newBuilder();
              for (int p : positions) {
                b.addMoves(
                    HomeMove.newBuilder()
                        .setIdentity(ids.get(p))
                        .setExpectedSlot(expected[p])
                        .setNewSlot(next));
              }
              return stub(s).setHomes(b.build());
            });
    int[] out = new int[ids.size()];
    for (var e : answers.entrySet()) {
      List<Integer> positions = groups.get(e.getKey());
      for (int k = 0; k < positions.size(); k++) {
        var h = e.getValue().getHomes(k);
        out[positions.get(k)] = h.hasSlot() ? h.getSlot() : ABSENT;
      }
    }
    return out;
  }
}
