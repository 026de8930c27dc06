package io.tempora.router;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.proto.internal.v1.GetShardInfoResponse;
import io.tempora.proto.internal.v1.SlotMove;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps an export through the router from passing silently across a slot move's switch
 * (docs/distributed.md "Export"): exports are not held by moves, and one whose shards are read
 * across a flip, or between a flip and the end of its clean, may list a moved record on both shards
 * or on neither. {@link #begin} reads every shard's map epoch and move rows and refuses an export
 * while a move is switching (UNAVAILABLE naming it); {@link #check}, after each shard's part, reads
 * them again and fails the export with ABORTED naming the move if a switch began or happened since.
 * Not thread-safe (one per export call).
 */
final class ExportSwitch {
  private final MapSync sync;
  private final long epoch;
  private final Map<String, SlotMove> seen = new LinkedHashMap<>();

  private ExportSwitch(MapSync sync, long epoch) {
    this.sync = sync;
    this.epoch = epoch;
  }

  /**
   * Reads the shards' epochs and moves before an export.
   *
   * @throws StatusRuntimeException UNAVAILABLE if a shard does not answer or a move is switching
   */
  static ExportSwitch begin(MapSync sync) {
    List<GetShardInfoResponse> infos = sync.refresh();
    ExportSwitch s = new ExportSwitch(sync, epochOf(infos));
    for (SlotMove m : moves(infos)) {
      if (switching(m)) {
        throw Status.UNAVAILABLE
            .withDescription(
                describe(m)
                    + " is switching its slots; an export now could list a moved record on both"
                    + " shards or on neither; retry the export after the switch")
            .asRuntimeException();
      }
      s.seen.put(m.getId(), m);
    }
    return s;
  }

  /**
   * After a shard's part of the export: fails it if a move has begun switching or has switched
   * since {@link #begin}.
   *
   * @throws StatusRuntimeException ABORTED naming the move (UNAVAILABLE if a shard does not answer)
   */
  void check() {
    List<GetShardInfoResponse> infos = sync.refresh();
    long now = epochOf(infos);
    List<SlotMove> moves = moves(infos);
    List<String> culprits = new ArrayList<>();
    for (SlotMove m : moves) {
      if (switching(m)) {
        culprits.add(describe(m));
      }
    }
    if (culprits.isEmpty() && now != epoch) {
      // The switch ended during the export: a move seen at the start is gone.
      for (SlotMove m : seen.values()) {
        if (moves.stream().noneMatch(x -> x.getId().equals(m.getId()))) {
          culprits.add(describe(m));
        }
      }
      String by = newest(infos).getFlippedBy();
      if (culprits.isEmpty()) {
        culprits.add(by.isEmpty() ? "a slot move" : "slot move " + by);
      }
    }
    if (culprits.isEmpty()) {
      return;
    }
    throw Status.ABORTED
        .withDescription(
            String.join(", ", culprits)
                + " switched slots during the export (shard map epoch "
                + epoch
                + " at its start, "
                + now
                + " now): its rows could list a moved record on both shards or on neither;"
                + " discard them and retry the export")
        .asRuntimeException();
  }

  /** Past the point where the move's slots change owner (its flip epoch is chosen). */
  private static boolean switching(SlotMove m) {
    return m.getFlipEpoch() > 0 || m.getPhase().equals(Rebalancer.FLIPPED);
  }

  private static String describe(SlotMove m) {
    return "slot move "
        + m.getId()
        + " (shard "
        + m.getSource()
        + " to shard "
        + m.getTarget()
        + ")";
  }

  private static long epochOf(List<GetShardInfoResponse> infos) {
    long max = 0;
    for (int i = 0; i < infos.size(); i++) {
      GetShardInfoResponse info = infos.get(i);
      if (info == null) {
        throw Status.UNAVAILABLE
            .withDescription(
                "shard " + i + " did not answer GetShardInfo: the export cannot check slot moves")
            .asRuntimeException();
      }
      max = Math.max(max, info.getMap().getEpoch());
    }
    return max;
  }

  /** The newest map the shards store (epochOf has checked that each answered). */
  private static io.tempora.proto.internal.v1.ShardMapState newest(
      List<GetShardInfoResponse> infos) {
    io.tempora.proto.internal.v1.ShardMapState out =
        io.tempora.proto.internal.v1.ShardMapState.getDefaultInstance();
    for (GetShardInfoResponse i : infos) {
      if (i.getMap().getEpoch() > out.getEpoch()) {
        out = i.getMap();
      }
    }
    return out;
  }

  private static List<SlotMove> moves(List<GetShardInfoResponse> infos) {
    List<SlotMove> out = new ArrayList<>();
    for (GetShardInfoResponse i : infos) {
      out.addAll(i.getMovesList());
    }
    return out;
  }
}
