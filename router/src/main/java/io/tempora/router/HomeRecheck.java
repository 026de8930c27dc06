package io.tempora.router;

import io.tempora.proto.v1.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The writer's half of safe moves (docs/distributed.md "Writes during a move"): after a write's
 * sub-batches are applied, the router looks the homes up again; an identity whose home moved to
 * another slot meanwhile (a reconciliation move by the lease holder, possibly another router) may
 * have been written to the copy being abandoned, so its record is written again to the new home,
 * even when that lies on the shard written (moved away and back: the write landed outside the home
 * and the move back deleted or overwrote it). Together with {@link SourceRecheck} no acknowledged
 * write is lost to a move. Stateless; thread-safe.
 */
final class HomeRecheck {
  /** How often one request resends before giving up (UNAVAILABLE; resending it is safe). */
  static final int MAX_RESENDS = 3;

  private HomeRecheck() {}

  /**
   * Positions of {@code applied} whose recorded home slot is now another than {@code homes[p]} (on
   * another shard, or on the same one after moves away and back), grouped by the shard of the new
   * slot; {@code homes} is updated.
   *
   * @throws io.grpc.StatusRuntimeException UNAVAILABLE listing the positions whose directory shard
   *     did not answer (they were applied; resending the request is safe)
   */
  static Map<Integer, List<Integer>> moved(
      Directory directory,
      ShardMap map,
      List<Identity> ids,
      int[] homes,
      Map<Integer, List<Integer>> applied) {
    return moved(directory, map, ids, homes, applied, null);
  }

  /**
   * As above; with {@code seen} (the change counters the write's resolve saw, updated here), the
   * positions whose directory shard's counter is still the one seen are not looked up: no home row
   * of that shard changed since the resolve read it, so the look-up would answer {@code homes[p]}.
   * That costs one small call per directory shard instead of a look-up of every identity.
   */
  static Map<Integer, List<Integer>> moved(
      Directory directory,
      ShardMap map,
      List<Identity> ids,
      int[] homes,
      Map<Integer, List<Integer>> applied,
      Directory.Seen seen) {
    List<Integer> positions = new ArrayList<>();
    applied.values().forEach(positions::addAll);
    if (seen != null && !positions.isEmpty()) {
      positions = changedSince(directory, map, ids, positions, seen);
    }
    if (positions.isEmpty()) {
      return new TreeMap<>();
    }
    List<Identity> asked = new ArrayList<>();
    positions.forEach(p -> asked.add(ids.get(p)));
    List<String> reasons = new ArrayList<>();
    int[] now = directory.tryLookup(asked, reasons, seen);
    List<Integer> failed = new ArrayList<>();
    Map<Integer, List<Integer>> again = new TreeMap<>();
    for (int k = 0; k < now.length; k++) {
      int p = positions.get(k);
      if (now[k] == Directory.FAILED) {
        failed.add(p);
      } else if (now[k] != Directory.ABSENT && now[k] != homes[p]) {
        // Resent also when the new home is on the shard written: a home slot changes only by a
        // move's CAS, and two moves (away from that shard and back) may have run since the look-up;
        // the write then landed outside the home and the move back dropped or overwrote it.
        homes[p] = now[k];
        again.computeIfAbsent(map.shardOfSlot(now[k]), s -> new ArrayList<>()).add(p);
      }
    }
    if (!failed.isEmpty()) {
      failed.sort(null);
      throw Fanout.partialFailure(failed, reasons);
    }
    return again;
  }

  /**
   * The positions whose directory shard's counter is no longer the one in {@code seen} (or that did
   * not answer, or the map changed: all of them); updates {@code seen} with the counters read.
   */
  private static List<Integer> changedSince(
      Directory directory,
      ShardMap map,
      List<Identity> ids,
      List<Integer> positions,
      Directory.Seen seen) {
    if (map.epoch() != seen.epoch()) {
      return positions;
    }
    int[] owner = new int[positions.size()];
    java.util.Set<Integer> shards = new java.util.TreeSet<>();
    for (int k = 0; k < owner.length; k++) {
      owner[k] = map.shardOf(ids.get(positions.get(k)));
      shards.add(owner[k]);
    }
    Map<Integer, Directory.Version> now = directory.versions(shards);
    if (map.epoch() != seen.epoch()) {
      return positions;
    }
    java.util.Set<Integer> unchanged = new java.util.TreeSet<>();
    for (int d : shards) {
      Directory.Version before = seen.get(d);
      if (before != null && before.unchangedAt(now.get(d))) {
        unchanged.add(d);
      }
    }
    now.forEach(seen::put);
    List<Integer> rest = new ArrayList<>();
    for (int k = 0; k < owner.length; k++) {
      if (!unchanged.contains(owner[k])) {
        rest.add(positions.get(k));
      }
    }
    return rest;
  }
}
