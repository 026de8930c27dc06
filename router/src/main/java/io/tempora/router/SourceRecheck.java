package io.tempora.router;

import io.tempora.proto.internal.v1.CarryOverItem;
import io.tempora.proto.internal.v1.CarryOverRequest;
import io.tempora.proto.internal.v1.LookupRecordsRequest;
import io.tempora.proto.internal.v1.LookupRecordsResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Record;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The last step of a move before the source copy is deleted (docs/distributed.md "Writes during a
 * move"). A round copies a record as it read it; a client write through any router may reach the
 * source between that read and the directory compare-and-set. Such a write finished before its
 * router re-checked the home (every write re-checks after it is applied), so it finished before the
 * CAS, and this look-up, made after the CAS, sees it: the source's current state (new descriptors,
 * or deleted) is applied on the target by a compare-and-write (CarryOver), only where the target
 * copy is still as it was made; a write that went to the target after the CAS is newer and stays,
 * whenever it lands (the target checks and writes in one step under its engine's write lock). A
 * write that reached the source after the CAS is resent to the target by its router, which sees the
 * new home. Stateless; thread-safe.
 */
final class SourceRecheck {
  private SourceRecheck() {}

  /**
   * Brings the target copies of {@code moved} (as the round copied them) up to the source's current
   * state where they are unchanged; both calls carry the round's lease epoch.
   */
  static void carryOver(
      ShardClient source, ShardClient target, List<Record> moved, Duration deadline) {
    if (moved.isEmpty()) {
      return;
    }
    LookupRecordsRequest.Builder ask = LookupRecordsRequest.newBuilder();
    moved.forEach(r -> ask.addIdentities(r.getIdentity()));
    LookupRecordsResponse now =
        Fanout.call(source, s -> internal(s, deadline).lookupRecords(ask.build()));
    CarryOverRequest.Builder items = CarryOverRequest.newBuilder();
    for (int i = 0; i < moved.size(); i++) {
      Record current = now.getRecords(i);
      if (!now.getLive(i)) {
        items.addItems(CarryOverItem.newBuilder().setExpected(moved.get(i)).setDelete(true));
      } else if (!current.getDescriptorsList().equals(moved.get(i).getDescriptorsList())) {
        items.addItems(CarryOverItem.newBuilder().setExpected(moved.get(i)).setCurrent(current));
      }
    }
    if (items.getItemsCount() > 0) {
      Fanout.call(target, t -> internal(t, deadline).carryOver(items.build()));
    }
  }

  private static ShardGrpc.ShardBlockingStub internal(ShardClient shard, Duration deadline) {
    return ShardGrpc.newBlockingStub(shard.channel())
        .withInterceptors(LeaseEpoch.ATTACH)
        .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }
}
