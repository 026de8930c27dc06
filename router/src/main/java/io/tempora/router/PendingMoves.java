package io.tempora.router;

import io.tempora.proto.internal.v1.DeletedEntitiesRequest;
import io.tempora.proto.internal.v1.DeletedEntitiesResponse;
import io.tempora.proto.internal.v1.EntityRename;
import io.tempora.proto.internal.v1.ListMoveJournalRequest;
import io.tempora.proto.internal.v1.ListMoveJournalResponse;
import io.tempora.proto.internal.v1.MoveCopyRequest;
import io.tempora.proto.internal.v1.MoveCopyResponse;
import io.tempora.proto.internal.v1.MoveJournalEntry;
import io.tempora.proto.internal.v1.MovedRecord;
import io.tempora.proto.internal.v1.RenameMovedEntitiesRequest;
import io.tempora.proto.internal.v1.RenameMovedEntitiesResponse;
import io.tempora.proto.internal.v1.SaveMoveJournalRequest;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.internal.v1.SweepCarryMarksRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Record;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The move journal as a round uses it (docs/distributed.md "Writes during a move"): before a move's
 * directory compare-and-set the batch (identities, target, the copies written there, old and new
 * home slots) is stored on the source shard; after the carry-over it is marked carried; once the
 * source copies are deleted it is removed. Every round first {@link #finishAll finishes} the
 * entries a former holder (or a failed round) left, on every shard, before anything deletes a stale
 * copy. Every call carries the round's lease epoch, so a former holder can neither add nor remove
 * entries. Used under the reconciler's lock; thread-safe.
 */
final class PendingMoves {
  private static final Logger LOG = LoggerFactory.getLogger(PendingMoves.class);

  private final List<ShardClient> shards;
  private final ShardMap map;
  private final Directory directory;
  private final Fanout fanout;
  private final Duration deadline;
  private final BiConsumer<Integer, List<Identity>> delete;
  private final AtomicLong sequence = new AtomicLong();

  /**
   * @param delete deletes identities on a shard (the round's delete, carrying its epoch)
   */
  PendingMoves(
      List<ShardClient> shards,
      ShardMap map,
      Directory directory,
      Fanout fanout,
      Duration deadline,
      BiConsumer<Integer, List<Identity>> delete) {
    this.shards = shards;
    this.map = map;
    this.directory = directory;
    this.fanout = fanout;
    this.deadline = deadline;
    this.delete = delete;
  }

  /** The entry of a batch copied to {@code target} (a new sequence number; not stored yet). */
  MoveJournalEntry entry(int target, List<Record> copies, int[] fromSlots, int toSlot) {
    MoveJournalEntry.Builder e =
        MoveJournalEntry.newBuilder()
            .setEpoch(epoch())
            .setSequence(sequence.incrementAndGet())
            .setTarget(target);
    for (int i = 0; i < copies.size(); i++) {
      e.addRecords(
          MovedRecord.newBuilder()
              .setCopy(copies.get(i))
              .setFromSlot(fromSlots[i])
              .setToSlot(toSlot));
    }
    return e.build();
  }

  /**
   * Writes the copies of {@code entry} on {@code target}, marked carry-over pending under the
   * entry's name (MoveCopy), before the entry is journaled.
   */
  MoveCopyResponse copy(int target, MoveJournalEntry entry) {
    MoveCopyRequest.Builder r =
        MoveCopyRequest.newBuilder().setEpoch(entry.getEpoch()).setSequence(entry.getSequence());
    entry.getRecordsList().forEach(m -> r.addRecords(m.getCopy()));
    return Fanout.call(shards.get(target), s -> internal(s).moveCopy(r.build()));
  }

  /**
   * {@code entry} naming, per record, the entity id {@code P} its entity had on the source and the
   * entity {@code F} the copy created for it on the target, where a moved entity may take {@code P}
   * back ({@link #rename}): every record of the batch naming {@code P} lies in {@code F}, {@code F}
   * holds no other record of the batch, and the copy's transaction created {@code F} (so it holds
   * nothing else). A repeated copy (a step run twice) created nothing: the first answer's creations
   * count.
   *
   * @param former per record, the id it may give back ({@link Reconciler#formerIds}; 0: none)
   * @param answers the copy's answers, in order (more than one when the step ran twice)
   */
  static MoveJournalEntry withRenames(
      MoveJournalEntry entry, long[] former, List<MoveCopyResponse> answers) {
    if (answers.isEmpty()) {
      return entry;
    }
    Set<Long> created = new HashSet<>();
    answers.forEach(a -> created.addAll(a.getCreatedEntityIdsList()));
    MoveCopyResponse last = answers.getLast();
    if (last.getEntityIdsCount() != entry.getRecordsCount()) {
      return entry; // a shard that does not report entities: no renames
    }
    Map<Long, Set<Long>> copiesOf = new HashMap<>();
    Map<Long, Set<Long>> formersOf = new HashMap<>();
    for (int k = 0; k < former.length; k++) {
      long f = last.getEntityIds(k);
      long copy = created.contains(f) ? f : 0;
      copiesOf.computeIfAbsent(former[k], x -> new HashSet<>()).add(copy);
      formersOf.computeIfAbsent(f, x -> new HashSet<>()).add(former[k]);
    }
    MoveJournalEntry.Builder b = entry.toBuilder();
    for (int k = 0; k < former.length; k++) {
      long p = former[k];
      long f = last.getEntityIds(k);
      if (p != 0
          && created.contains(f)
          && copiesOf.get(p).size() == 1
          && formersOf.get(f).size() == 1) {
        b.setRecords(k, b.getRecords(k).toBuilder().setFormerEntityId(p).setCopyEntityId(f));
      }
    }
    return b.build();
  }

  /**
   * Gives each moved entity of {@code entry} its former id back (RenameMovedEntities on the
   * target), for records of {@code moved} (their CAS happened and their source copy is deleted):
   * only where the source answers the former id {@code P} DELETED. A deleted id never becomes
   * active there again, so from then on no shard but the target can hold {@code P} active; a record
   * that joined {@code P} on the source after the round read it keeps {@code P} active there, and
   * the moved entity keeps the id its copy got. The target renames only if the copy's entity is
   * still active and it knows no row of {@code P}. Running it twice renames nothing more.
   */
  void rename(int source, MoveJournalEntry entry, List<Identity> moved) {
    Set<Identity> done = new HashSet<>(moved);
    Map<Long, Long> copyOf = new LinkedHashMap<>();
    for (MovedRecord m : entry.getRecordsList()) {
      if (m.getFormerEntityId() != 0 && done.contains(m.getCopy().getIdentity())) {
        copyOf.putIfAbsent(m.getFormerEntityId(), m.getCopyEntityId());
      }
    }
    if (copyOf.isEmpty()) {
      return;
    }
    List<Long> former = new ArrayList<>(copyOf.keySet());
    DeletedEntitiesRequest ask =
        DeletedEntitiesRequest.newBuilder().addAllEntityIds(former).build();
    DeletedEntitiesResponse gone =
        Fanout.call(shards.get(source), s -> internal(s).deletedEntities(ask));
    RenameMovedEntitiesRequest.Builder renames = RenameMovedEntitiesRequest.newBuilder();
    for (int i = 0; i < former.size(); i++) {
      if (gone.getDeleted(i)) {
        renames.addRenames(
            EntityRename.newBuilder().setFrom(copyOf.get(former.get(i))).setTo(former.get(i)));
      }
    }
    if (renames.getRenamesCount() == 0) {
      return;
    }
    RenameMovedEntitiesResponse r =
        Fanout.call(
            shards.get(entry.getTarget()), s -> internal(s).renameMovedEntities(renames.build()));
    LOG.debug(
        "{} of {} moved entities on shard {} took their former ids back ({} still active on shard"
            + " {})",
        r.getRenamedList().stream().filter(x -> x).count(),
        copyOf.size(),
        entry.getTarget(),
        former.size() - renames.getRenamesCount(),
        source);
  }

  /** Journals {@code entry} on {@code source}, before its CAS (storing it again replaces it). */
  void open(int source, MoveJournalEntry entry) {
    save(source, entry, false);
  }

  /** Marks the carry-over of {@code entry} done (before the source copies are deleted). */
  void carried(int source, MoveJournalEntry entry) {
    save(source, entry.toBuilder().setCarried(true).build(), false);
  }

  /** Removes a finished entry. */
  void remove(int source, MoveJournalEntry entry) {
    save(source, entry, true);
  }

  private void save(int source, MoveJournalEntry entry, boolean remove) {
    SaveMoveJournalRequest r =
        SaveMoveJournalRequest.newBuilder()
            .setEpoch(epoch())
            .setEntry(remove ? entry.toBuilder().clearRecords().build() : entry)
            .setRemove(remove)
            .build();
    Fanout.call(shards.get(source), s -> internal(s).saveMoveJournal(r));
  }

  private static long epoch() {
    Long e = LeaseEpoch.current();
    if (e == null) {
      throw new IllegalStateException("a move journal write outside a lease epoch");
    }
    return e;
  }

  /**
   * Finishes every journaled move on every shard (one entry per shard per listing): for each record
   * whose home is now the new slot, the source's current state is carried over to the target copy
   * (compare-and-write against the journaled copy, unless the entry says it was carried) and the
   * source copy deleted; where the CAS never happened the target copy is deleted; then the entry is
   * removed. Each step may run twice with the same result.
   *
   * @return entries finished
   */
  long finishAll(MoveHook hook) {
    long finished = 0;
    ListMoveJournalRequest first = ListMoveJournalRequest.newBuilder().setLimit(1).build();
    while (true) {
      List<ListMoveJournalResponse> lists = fanout.all(s -> internal(s).listMoveJournal(first));
      boolean any = false;
      for (int s = 0; s < lists.size(); s++) {
        for (MoveJournalEntry e : lists.get(s).getEntriesList()) {
          finish(s, e, hook);
          finished++;
          any = true;
        }
      }
      if (!any) {
        sweep(lists);
        return finished;
      }
    }
  }

  /**
   * Drops the carry-over marks left on shards once no journal entry is left anywhere: marks of
   * moves whose carry-over never ran (the mover died or failed before its journal entry, or the
   * entry's CAS failed). Only this holder moves, and not now (the caller holds the reconciler's
   * lock), so every mark up to its last sequence number is stale; a former holder's are too.
   */
  private void sweep(List<ListMoveJournalResponse> lists) {
    SweepCarryMarksRequest r =
        SweepCarryMarksRequest.newBuilder().setEpoch(epoch()).setSequence(sequence.get()).build();
    for (int s = 0; s < lists.size(); s++) {
      if (lists.get(s).getCarryMarks() > 0) {
        int remaining =
            Fanout.call(shards.get(s), c -> internal(c).sweepCarryMarks(r)).getCarryMarks();
        LOG.info(
            "dropped {} stale carry-over marks on shard {}",
            lists.get(s).getCarryMarks() - remaining,
            s);
      }
    }
  }

  private void finish(int source, MoveJournalEntry e, MoveHook hook) {
    List<Identity> ids = new ArrayList<>();
    e.getRecordsList().forEach(m -> ids.add(m.getCopy().getIdentity()));
    int[] homes = directory.lookup(ids);
    List<Record> moved = new ArrayList<>();
    List<Identity> sourceCopies = new ArrayList<>();
    List<Identity> targetCopies = new ArrayList<>();
    int[] to = {-1};
    for (int i = 0; i < homes.length; i++) {
      MovedRecord m = e.getRecords(i);
      if (homes[i] == Directory.ABSENT) {
        continue; // the row went with a slot move: left to the stale-copy rule
      }
      int owner = map.shardOfSlot(homes[i]);
      if (homes[i] == m.getToSlot() && owner != source) {
        moved.add(m.getCopy());
        sourceCopies.add(ids.get(i));
        to[0] = owner;
      } else if (homes[i] != m.getToSlot() && owner != e.getTarget()) {
        targetCopies.add(ids.get(i)); // the CAS did not happen: the target copy is stale
      }
    }
    if (!e.getCarried() && !moved.isEmpty()) {
      ShardClient carryTo = shards.get(to[0]);
      hook.step(
          MoveHook.Point.FINISH_CARRIED,
          ids,
          () -> SourceRecheck.carryOver(shards.get(source), carryTo, moved, List.of(), deadline));
      hook.step(MoveHook.Point.FINISH_MARKED, ids, () -> carried(source, e));
    }
    hook.step(
        MoveHook.Point.FINISH_DELETED,
        ids,
        () -> {
          delete.accept(source, sourceCopies);
          delete.accept(e.getTarget(), targetCopies);
          if (to[0] == e.getTarget()) {
            rename(source, e, sourceCopies);
          }
        });
    hook.step(MoveHook.Point.FINISH_REMOVED, ids, () -> remove(source, e));
    LOG.info(
        "finished a journaled move of {} records from shard {} to shard {} (epoch {}, #{}):"
            + " {} moved, {} target copies dropped",
        ids.size(),
        source,
        e.getTarget(),
        e.getEpoch(),
        e.getSequence(),
        sourceCopies.size(),
        targetCopies.size());
  }

  private ShardGrpc.ShardBlockingStub internal(ShardClient s) {
    return ShardGrpc.newBlockingStub(s.channel())
        .withInterceptors(LeaseEpoch.ATTACH)
        .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }
}
