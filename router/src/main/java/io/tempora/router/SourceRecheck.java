package io.tempora.router;

import io.tempora.proto.internal.v1.LookupRecordsRequest;
import io.tempora.proto.internal.v1.LookupRecordsResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.IngestRequest;
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
 * or deleted) is applied on the target, unless the target copy changed since it was made (a newer
 * write went there after the CAS). A write that reached the source after the CAS is resent to the
 * target by its router, which sees the new home. What remains: a write reaching the target between
 * the look-up and the carry-over's own write (both right after the CAS) is overwritten by the older
 * source state. Stateless; thread-safe.
 */
final class SourceRecheck {
  private SourceRecheck() {}

  /**
   * Brings the target copies of {@code moved} (as the round copied them) up to the source's current
   * state; both calls carry the round's lease epoch.
   */
  static void carryOver(
      ShardClient source, ShardClient target, List<Record> moved, Duration deadline) {
    if (moved.isEmpty()) {
      return;
    }
    LookupRecordsRequest.Builder ask = LookupRecordsRequest.newBuilder();
    moved.forEach(r -> ask.addIdentities(r.getIdentity()));
    LookupRecordsResponse now = lookup(source, ask.build(), deadline);
    LookupRecordsResponse there = lookup(target, ask.build(), deadline);
    IngestRequest.Builder upserts = IngestRequest.newBuilder();
    DeleteRequest.Builder deletes = DeleteRequest.newBuilder();
    for (int i = 0; i < moved.size(); i++) {
      Record current = now.getRecords(i);
      boolean targetAsCopied =
          there.getLive(i)
              && there.getRecords(i).getDescriptorsList().equals(moved.get(i).getDescriptorsList());
      if (!targetAsCopied) {
        continue; // a write since the CAS went to the target: it is newer than the source's state
      }
      if (!now.getLive(i)) {
        deletes.addIdentities(moved.get(i).getIdentity());
      } else if (!current.getDescriptorsList().equals(moved.get(i).getDescriptorsList())) {
        upserts.addRecords(current);
      }
    }
    if (upserts.getRecordsCount() > 0) {
      Fanout.call(target, c -> c.stub(deadline).ingest(upserts.build()));
    }
    if (deletes.getIdentitiesCount() > 0) {
      Fanout.call(target, c -> c.stub(deadline).delete(deletes.build()));
    }
  }

  private static LookupRecordsResponse lookup(
      ShardClient shard, LookupRecordsRequest request, Duration deadline) {
    return Fanout.call(
        shard,
        s ->
            ShardGrpc.newBlockingStub(s.channel())
                .withInterceptors(LeaseEpoch.ATTACH)
                .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .lookupRecords(request));
  }
}
