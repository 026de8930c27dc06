package io.tempora.router;

import io.tempora.proto.internal.v1.CarryOverItem;
import io.tempora.proto.internal.v1.CarryOverRequest;
import io.tempora.proto.internal.v1.LookupRecordsRequest;
import io.tempora.proto.internal.v1.LookupRecordsResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Record;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The last step of a move before the source copy is deleted (docs/distributed.md "Writes during a
 * move"). A round copies a record as it read it; a client write through any router may reach the
 * source between that read and the directory compare-and-set. Such a write finished before its
 * router re-checked the home (every write re-checks after it is applied), so it finished before the
 * CAS, and this look-up, made after the CAS, sees it: the source's current state (new descriptors,
 * or deleted) is applied on the target by a compare-and-write (CarryOver), only where the target
 * copy is still carry-over pending (the mark MoveCopy set with it; any client write there clears
 * it, even one that changes nothing) and as it was made; a write that went to the target after the
 * CAS is newer and stays, whenever it lands (the target checks and writes in one step under its
 * engine's write lock). A write that reached the source after the CAS is resent to the target by
 * its router, which sees the new home. Stateless; thread-safe.
 */
final class SourceRecheck {
  private SourceRecheck() {}

  /**
   * Brings the target copies of {@code moved} (as the round copied them) up to the source's current
   * state where no client wrote them since (their carry-over mark is still there), then drops the
   * marks of {@code moved} and of {@code batch} (the move's other identities: the CAS failed for
   * them); both calls carry the round's lease epoch.
   */
  static void carryOver(
      ShardClient source,
      ShardClient target,
      List<Record> moved,
      List<Identity> batch,
      Duration deadline) {
    CarryOverRequest.Builder items = CarryOverRequest.newBuilder();
    Set<Identity> movedIds = new HashSet<>();
    moved.forEach(r -> movedIds.add(r.getIdentity()));
    for (Identity id : batch) {
      if (!movedIds.contains(id)) {
        items.addRelease(id);
      }
    }
    if (moved.isEmpty()) {
      if (items.getReleaseCount() > 0) {
        Fanout.call(target, t -> internal(t, deadline).carryOver(items.build()));
      }
      return;
    }
    LookupRecordsRequest.Builder ask = LookupRecordsRequest.newBuilder();
    moved.forEach(r -> ask.addIdentities(r.getIdentity()));
    LookupRecordsResponse now =
        Fanout.call(source, s -> internal(s, deadline).lookupRecords(ask.build()));
    for (int i = 0; i < moved.size(); i++) {
      Record current = now.getRecords(i);
      if (!now.getLive(i)) {
        items.addItems(CarryOverItem.newBuilder().setExpected(moved.get(i)).setDelete(true));
      } else if (!current.getDescriptorsList().equals(moved.get(i).getDescriptorsList())) {
        items.addItems(CarryOverItem.newBuilder().setExpected(moved.get(i)).setCurrent(current));
      } else {
        items.addRelease(moved.get(i).getIdentity()); // nothing to carry: only drop the mark
      }
    }
    Fanout.call(target, t -> internal(t, deadline).carryOver(items.build()));
  }

  private static ShardGrpc.ShardBlockingStub internal(ShardClient shard, Duration deadline) {
    return ShardGrpc.newBlockingStub(shard.channel())
        .withInterceptors(LeaseEpoch.ATTACH)
        .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }
}
