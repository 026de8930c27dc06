package io.tempora.router;

import io.grpc.StatusRuntimeException;
import io.tempora.proto.internal.v1.AssignSlotsRequest;
import io.tempora.proto.internal.v1.GetShardInfoRequest;
import io.tempora.proto.internal.v1.GetShardInfoResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.internal.v1.ShardMapState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the router's {@link ShardMap} in step with the map stored on the shards
 * (docs/distributed.md "Rebalancing"): reads every shard's map ({@code GetShardInfo}) and adopts
 * the highest epoch; stores it on shards holding an older one; when every shard answered and none
 * stores a map, stores the bootstrap even split at epoch 1 on all of them. Runs at start and
 * whenever a shard rejects a call for a stale epoch. Thread-safe.
 */
final class MapSync {
  private static final Logger LOG = LoggerFactory.getLogger(MapSync.class);

  private final List<ShardClient> shards;
  private final ShardMap map;
  private final ExecutorService executor;
  private final Duration deadline;
  private final AtomicBoolean pending = new AtomicBoolean();

  MapSync(List<ShardClient> shards, ShardMap map, ExecutorService executor, Duration deadline) {
    this.shards = shards;
    this.map = map;
    this.executor = executor;
    this.deadline = deadline;
  }

  ShardGrpc.ShardBlockingStub stub(ShardClient s) {
    return ShardGrpc.newBlockingStub(s.channel())
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Schedules one refresh (several requests while one is pending coalesce). */
  void refreshLater() {
    if (pending.compareAndSet(false, true)) {
      executor.execute(
          () -> {
            pending.set(false);
            try {
              refresh();
            } catch (RuntimeException e) {
              LOG.warn("shard map refresh failed: {}", e.toString());
            }
          });
    }
  }

  /**
   * Reads the shards' maps and adopts the newest; returns the shards' infos (null where a shard did
   * not answer).
   *
   * @throws IllegalArgumentException if the newest map names a shard this router does not know
   */
  synchronized List<GetShardInfoResponse> refresh() {
    List<GetShardInfoResponse> infos = new ArrayList<>();
    ShardMapState newest = null;
    boolean all = true;
    for (ShardClient s : shards) {
      GetShardInfoResponse info;
      try {
        info = stub(s).getShardInfo(GetShardInfoRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        LOG.warn("shard {} ({}) did not give its map: {}", s.id(), s.address(), e.getStatus());
        infos.add(null);
        all = false;
        continue;
      }
      if (info.getShardId() != s.id()) {
        throw new IllegalArgumentException(
            "shard at "
                + s.address()
                + " says it is shard "
                + info.getShardId()
                + ", but it is listed in --shards at position "
                + s.id());
      }
      infos.add(info);
      if (info.hasMap() && (newest == null || info.getMap().getEpoch() > newest.getEpoch())) {
        newest = info.getMap();
      }
    }
    if (newest == null) {
      if (!all) {
        return infos; // keep the bootstrap split (epoch 0) until every shard can be asked
      }
      newest = map.toState(1);
      LOG.info("no shard stores a shard map: storing the even split over {} shards", shards.size());
    }
    if (map.adopt(newest)) {
      LOG.info("adopted shard map epoch {}", newest.getEpoch());
    }
    // Shards behind (a new shard, or one that missed a flip) store the newest map.
    for (int i = 0; i < shards.size(); i++) {
      GetShardInfoResponse info = infos.get(i);
      if (info != null && (!info.hasMap() || info.getMap().getEpoch() < newest.getEpoch())) {
        try {
          stub(shards.get(i)).assignSlots(AssignSlotsRequest.newBuilder().setMap(newest).build());
        } catch (StatusRuntimeException e) {
          LOG.warn("shard {} did not store map epoch {}: {}", i, newest.getEpoch(), e.getStatus());
        }
      }
    }
    return infos;
  }

  /**
   * Adopts {@code next}, then stores it on every shard (target and source first), so this router's
   * calls never carry an epoch below a shard's.
   */
  void flip(ShardMapState next, int target, int source) {
    map.adopt(next);
    List<Integer> order = new ArrayList<>(List.of(target, source));
    for (int i = 0; i < shards.size(); i++) {
      if (i != target && i != source) {
        order.add(i);
      }
    }
    for (int i : order) {
      Fanout.call(
          shards.get(i),
          c -> stub(c).assignSlots(AssignSlotsRequest.newBuilder().setMap(next).build()));
    }
  }
}
