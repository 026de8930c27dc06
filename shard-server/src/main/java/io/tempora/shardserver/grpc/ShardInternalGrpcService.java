package io.tempora.shardserver.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tempora.engine.Engine;
import io.tempora.engine.NotFoundException;
import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.Reader;
import io.tempora.engine.RecordInfo;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.write.WriteResult;
import io.tempora.persistence.HomeDirectory;
import io.tempora.proto.internal.v1.AckDirtyRequest;
import io.tempora.proto.internal.v1.AckDirtyResponse;
import io.tempora.proto.internal.v1.AcquireLeaseRequest;
import io.tempora.proto.internal.v1.AcquireLeaseResponse;
import io.tempora.proto.internal.v1.AssignSlotsRequest;
import io.tempora.proto.internal.v1.AssignSlotsResponse;
import io.tempora.proto.internal.v1.CarryOverItem;
import io.tempora.proto.internal.v1.CarryOverRequest;
import io.tempora.proto.internal.v1.CarryOverResponse;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ChangeFeedStateResponse;
import io.tempora.proto.internal.v1.ChangedRecordsRequest;
import io.tempora.proto.internal.v1.ChangedRecordsResponse;
import io.tempora.proto.internal.v1.DeletedEntitiesRequest;
import io.tempora.proto.internal.v1.DeletedEntitiesResponse;
import io.tempora.proto.internal.v1.DropHomesRequest;
import io.tempora.proto.internal.v1.DropHomesResponse;
import io.tempora.proto.internal.v1.EntityRename;
import io.tempora.proto.internal.v1.ExportSlotRequest;
import io.tempora.proto.internal.v1.FindRecordsRequest;
import io.tempora.proto.internal.v1.FindRecordsResponse;
import io.tempora.proto.internal.v1.FinishImportRequest;
import io.tempora.proto.internal.v1.FinishImportResponse;
import io.tempora.proto.internal.v1.GetShardInfoRequest;
import io.tempora.proto.internal.v1.GetShardInfoResponse;
import io.tempora.proto.internal.v1.HomeClaim;
import io.tempora.proto.internal.v1.HomeMove;
import io.tempora.proto.internal.v1.HomeRow;
import io.tempora.proto.internal.v1.HomeSlot;
import io.tempora.proto.internal.v1.ImportSlotResponse;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsResponse;
import io.tempora.proto.internal.v1.ListMoveJournalRequest;
import io.tempora.proto.internal.v1.ListMoveJournalResponse;
import io.tempora.proto.internal.v1.LookupRecordsRequest;
import io.tempora.proto.internal.v1.LookupRecordsResponse;
import io.tempora.proto.internal.v1.MoveCopyRequest;
import io.tempora.proto.internal.v1.MoveCopyResponse;
import io.tempora.proto.internal.v1.RenameMovedEntitiesRequest;
import io.tempora.proto.internal.v1.RenameMovedEntitiesResponse;
import io.tempora.proto.internal.v1.ResolveHomesRequest;
import io.tempora.proto.internal.v1.ResolveHomesResponse;
import io.tempora.proto.internal.v1.SaveMoveJournalRequest;
import io.tempora.proto.internal.v1.SaveMoveJournalResponse;
import io.tempora.proto.internal.v1.SaveSlotMoveRequest;
import io.tempora.proto.internal.v1.SaveSlotMoveResponse;
import io.tempora.proto.internal.v1.SetHomesRequest;
import io.tempora.proto.internal.v1.SetHomesResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.internal.v1.ShardMapState;
import io.tempora.proto.internal.v1.SlotChunk;
import io.tempora.proto.internal.v1.SlotEntity;
import io.tempora.proto.internal.v1.SlotRange;
import io.tempora.proto.internal.v1.SweepCarryMarksRequest;
import io.tempora.proto.internal.v1.SweepCarryMarksResponse;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.shardserver.ShardServerConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The implemented part of the internal {@code tempora.internal.v1.Shard} service: the identity
 * directory (ResolveHomes, SetHomes) and what reconciliation reads: every live record
 * (ListLiveRecords), the records changed since a transaction (ChangedRecords) and the records
 * holding given values (FindRecords, LookupRecords); the shard map and rebalancing (GetShardInfo,
 * AssignSlots, ExportSlot, ImportSlot, FinishImport, SaveSlotMove, DropHomes; see {@link
 * SlotStore}); the reconcile lease (AcquireLease), the change-feed state and cursor
 * (ChangeFeedState, AckDirty); the moves' journal (SaveMoveJournal, ListMoveJournal), copies and
 * carry-overs (MoveCopy, CarryOver, SweepCarryMarks; see {@link CarryMarks}). Other methods answer
 * UNIMPLEMENTED. Thread-safe.
 */
public final class ShardInternalGrpcService extends ShardGrpc.ShardImplBase {
  private static final int DEFAULT_PAGE = 1000;
  private static final int MAX_PAGE = 10_000;
  private static final int MAX_FIND_VALUES = 10_000;

  /**
   * The end of the FAILED_PRECONDITION text of a change-feed read that cannot be served
   * incrementally; the router answers it with a full round.
   */
  public static final String FULL_ROUND = "run a full round";

  private final Engine engine;
  private final HomeDirectory directory;
  private final SlotStore slots;
  private final ReconcileState reconcile;
  private final long changeFeedBytes;
  private final MoveJournal journal;
  private final CarryMarks marks;

  /**
   * Names this service's view of {@link HomeDirectory#changes} in ResolveHomes answers: random,
   * never 0, so a restarted shard (its counter back at 0) never answers like before.
   */
  private final long incarnation = java.util.concurrent.ThreadLocalRandom.current().nextLong() | 1L;

  /** As below, with the lease state opened on {@code directory} (system clock). */
  public ShardInternalGrpcService(Engine engine, HomeDirectory directory) {
    this(engine, directory, new SlotStore(directory));
  }

  /** As below, with the lease state opened on {@code directory} (system clock). */
  public ShardInternalGrpcService(Engine engine, HomeDirectory directory, SlotStore slots) {
    this(engine, directory, slots, ReconcileState.open(directory, java.time.Clock.systemUTC()));
  }

  /** As below, with a fresh rebalancing state on {@code directory}. */
  public ShardInternalGrpcService(
      Engine engine, HomeDirectory directory, ReconcileState reconcile) {
    this(engine, directory, new SlotStore(directory), reconcile);
  }

  /**
   * @param engine the shard's engine (records are listed from it)
   * @param directory this shard's part of the identity directory; not owned
   * @param slots the rebalancing state on {@code directory} (shared with the {@link MapEpochGuard})
   * @param reconcile the lease, fence and change-feed cursor kept in that directory
   */
  public ShardInternalGrpcService(
      Engine engine, HomeDirectory directory, SlotStore slots, ReconcileState reconcile) {
    this(engine, directory, slots, reconcile, ShardServerConfig.DEFAULT_CHANGE_FEED_BYTES);
  }

  /**
   * As above, with the byte budget of one ChangedRecords response (also what the shard holds in
   * memory for it; {@link ShardServerConfig#DEFAULT_CHANGE_FEED_BYTES} by default).
   */
  public ShardInternalGrpcService(
      Engine engine,
      HomeDirectory directory,
      SlotStore slots,
      ReconcileState reconcile,
      long changeFeedBytes) {
    this(engine, directory, slots, reconcile, changeFeedBytes, CarryMarks.open(directory));
  }

  /**
   * As above, with the carry-over marks of moves into this shard (opened on {@code directory};
   * shared with the {@link TemporaGrpcService}, whose writes clear them).
   */
  public ShardInternalGrpcService(
      Engine engine,
      HomeDirectory directory,
      SlotStore slots,
      ReconcileState reconcile,
      long changeFeedBytes,
      CarryMarks marks) {
    this.marks = marks;
    this.changeFeedBytes = changeFeedBytes;
    this.engine = engine;
    this.directory = directory;
    this.slots = slots;
    this.reconcile = reconcile;
    this.journal = new MoveJournal(directory, reconcile);
  }

  @Override
  public void acquireLease(AcquireLeaseRequest request, StreamObserver<AcquireLeaseResponse> out) {
    Calls.unary(
        out,
        () -> {
          ReconcileState.Lease l =
              reconcile.acquire(
                  request.getHolder(),
                  request.getExpectedEpoch(),
                  request.getTtlMs(),
                  request.getRelease());
          return AcquireLeaseResponse.newBuilder()
              .setHolder(l.holder())
              .setEpoch(l.epoch())
              .setExpiresAtMs(l.expiresAtMs())
              .setGranted(l.granted())
              .build();
        });
  }

  @Override
  public void ackDirty(AckDirtyRequest request, StreamObserver<AckDirtyResponse> out) {
    Calls.unary(
        out,
        () ->
            AckDirtyResponse.newBuilder()
                .setAcknowledged(reconcile.acknowledge(request.getEpoch(), request.getUpTo()))
                .build());
  }

  @Override
  public void changeFeedState(
      ChangeFeedStateRequest request, StreamObserver<ChangeFeedStateResponse> out) {
    Calls.unary(
        out,
        () -> {
          io.tempora.engine.Stats stats = engine.reader().stats();
          return ChangeFeedStateResponse.newBuilder()
              .setAcknowledged(reconcile.acknowledged())
              .setHeadTx(stats.lastTx() + 1)
              .setHighestEpoch(reconcile.highestEpoch())
              .setOntologyVersion(stats.ontologyVersion())
              .setPendingMoves(journal.pending())
              .build();
        });
  }

  @Override
  public void saveMoveJournal(
      SaveMoveJournalRequest request, StreamObserver<SaveMoveJournalResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (!request.hasEntry()) {
            throw new IllegalArgumentException("entry: must be set");
          }
          var e = request.getEntry();
          int pending =
              request.getRemove()
                  ? journal.remove(request.getEpoch(), e.getEpoch(), e.getSequence())
                  : journal.save(request.getEpoch(), e);
          return SaveMoveJournalResponse.newBuilder().setPending(pending).build();
        });
  }

  @Override
  public void listMoveJournal(
      ListMoveJournalRequest request, StreamObserver<ListMoveJournalResponse> out) {
    Calls.unary(
        out,
        () -> {
          int limit = request.getLimit() == 0 ? 1 : request.getLimit();
          if (limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit: " + limit + " must be in 1.." + MAX_PAGE);
          }
          return ListMoveJournalResponse.newBuilder()
              .addAllEntries(journal.list(limit))
              .setPending(journal.pending())
              .setCarryMarks(marks.size())
              .build();
        });
  }

  @Override
  public void lookupRecords(
      LookupRecordsRequest request, StreamObserver<LookupRecordsResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (request.getIdentitiesCount() > MAX_PAGE) {
            throw new IllegalArgumentException(
                "identities: " + request.getIdentitiesCount() + " must be at most " + MAX_PAGE);
          }
          Reader reader = engine.reader();
          LookupRecordsResponse.Builder b = LookupRecordsResponse.newBuilder();
          for (io.tempora.proto.v1.Identity id : request.getIdentitiesList()) {
            Record.Builder r = Record.newBuilder().setIdentity(id);
            boolean live = false;
            try {
              var info = reader.getRecord(RequestMapper.identity(id));
              live = info.live();
              if (live) {
                r.addAllDescriptors(ResponseMapper.record(info).getDescriptorsList());
              }
            } catch (NotFoundException e) {
              // never seen here: not live
            }
            b.addRecords(r).addLive(live);
          }
          return b.build();
        });
  }

  @Override
  public void carryOver(CarryOverRequest request, StreamObserver<CarryOverResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (request.getItemsCount() > MAX_PAGE) {
            throw new IllegalArgumentException(
                "items: " + request.getItemsCount() + " must be at most " + MAX_PAGE);
          }
          if (request.getReleaseCount() > MAX_PAGE) {
            throw new IllegalArgumentException(
                "release: " + request.getReleaseCount() + " must be at most " + MAX_PAGE);
          }
          List<Identity> released = new ArrayList<>();
          request
              .getItemsList()
              .forEach(i -> released.add(RequestMapper.identity(i.getExpected().getIdentity())));
          request.getReleaseList().forEach(id -> released.add(RequestMapper.identity(id)));
          IngestRequest.Builder upserts = IngestRequest.newBuilder();
          IngestRequest.Builder upsertsBefore = IngestRequest.newBuilder();
          IngestRequest.Builder deletesBefore = IngestRequest.newBuilder();
          List<Integer> upsertAt = new ArrayList<>();
          List<Integer> deleteAt = new ArrayList<>();
          for (int i = 0; i < request.getItemsCount(); i++) {
            CarryOverItem item = request.getItems(i);
            if (item.getDelete()) {
              deletesBefore.addRecords(item.getExpected());
              deleteAt.add(i);
            } else {
              if (!item.getCurrent().getIdentity().equals(item.getExpected().getIdentity())) {
                throw new IllegalArgumentException(
                    "item " + i + ": current and expected name different identities");
              }
              upserts.addRecords(item.getCurrent());
              upsertsBefore.addRecords(item.getExpected());
              upsertAt.add(i);
            }
          }
          boolean[] applied = new boolean[request.getItemsCount()];
          if (!upsertAt.isEmpty()) {
            WriteResult r =
                engine.upsertIfCurrent(
                    RequestMapper.records(upserts.build()),
                    RequestMapper.records(upsertsBefore.build()),
                    marks.admittingMarked());
            for (WriteResult.Item it : r.items()) {
              applied[upsertAt.get(it.index())] = it.outcome() != WriteResult.Outcome.NOT_FOUND;
            }
          }
          if (!deleteAt.isEmpty()) {
            WriteResult r =
                engine.deleteIfCurrent(
                    RequestMapper.records(deletesBefore.build()), marks.admittingMarked());
            for (WriteResult.Item it : r.items()) {
              applied[deleteAt.get(it.index())] = it.outcome() == WriteResult.Outcome.DELETED;
            }
          }
          // The carry-over of these copies ran: a second one (the journal finishing it again)
          // must not apply what this one left alone.
          marks.release(released);
          CarryOverResponse.Builder b = CarryOverResponse.newBuilder();
          for (boolean a : applied) {
            b.addApplied(a);
          }
          return b.build();
        });
  }

  @Override
  public void moveCopy(MoveCopyRequest request, StreamObserver<MoveCopyResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (request.getRecordsCount() > MAX_PAGE) {
            throw new IllegalArgumentException(
                "records: " + request.getRecordsCount() + " must be at most " + MAX_PAGE);
          }
          var records =
              RequestMapper.records(
                  IngestRequest.newBuilder().addAllRecords(request.getRecordsList()).build());
          List<Identity> ids = records.stream().map(r -> r.identity()).toList();
          WriteResult r =
              engine.upsert(records, marks.marking(ids, request.getEpoch(), request.getSequence()));
          long[] entities = new long[records.size()];
          r.items().forEach(it -> entities[it.index()] = it.entityId());
          MoveCopyResponse.Builder b = MoveCopyResponse.newBuilder().setCarryMarks(marks.size());
          for (long e : entities) {
            b.addEntityIds(e);
          }
          r.events().stream()
              .filter(e -> e.kind() == EntityEvent.Kind.CREATED)
              .map(EntityEvent::entityId)
              .sorted(Long::compareUnsigned)
              .forEach(b::addCreatedEntityIds);
          return b.build();
        });
  }

  @Override
  public void renameMovedEntities(
      RenameMovedEntitiesRequest request, StreamObserver<RenameMovedEntitiesResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (request.getRenamesCount() > MAX_PAGE) {
            throw new IllegalArgumentException(
                "renames: " + request.getRenamesCount() + " must be at most " + MAX_PAGE);
          }
          java.util.Map<Long, Long> renames = new java.util.LinkedHashMap<>();
          for (EntityRename r : request.getRenamesList()) {
            if (renames.putIfAbsent(r.getFrom(), r.getTo()) != null) {
              throw new IllegalArgumentException(
                  "renames: entity " + Long.toUnsignedString(r.getFrom()) + " named twice");
            }
          }
          Set<Long> renamed = engine.renameEntities(renames).renamed();
          RenameMovedEntitiesResponse.Builder b = RenameMovedEntitiesResponse.newBuilder();
          request.getRenamesList().forEach(r -> b.addRenamed(renamed.contains(r.getFrom())));
          return b.build();
        });
  }

  @Override
  public void deletedEntities(
      DeletedEntitiesRequest request, StreamObserver<DeletedEntitiesResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (request.getEntityIdsCount() > MAX_PAGE) {
            throw new IllegalArgumentException(
                "entity_ids: " + request.getEntityIdsCount() + " must be at most " + MAX_PAGE);
          }
          Reader reader = engine.reader();
          DeletedEntitiesResponse.Builder b = DeletedEntitiesResponse.newBuilder();
          for (long id : request.getEntityIdsList()) {
            b.addDeleted(reader.entityStatus(id) == EntityRow.Status.DELETED);
          }
          return b.build();
        });
  }

  @Override
  public void sweepCarryMarks(
      SweepCarryMarksRequest request, StreamObserver<SweepCarryMarksResponse> out) {
    Calls.unary(
        out,
        () ->
            SweepCarryMarksResponse.newBuilder()
                .setCarryMarks(marks.sweep(request.getEpoch(), request.getSequence()))
                .build());
  }

  /**
   * The directory key of an identity: each of entity type, perspective and uid as its UTF-8 length
   * (4 bytes, big-endian) and bytes.
   */
  public static byte[] key(io.tempora.proto.v1.Identity id) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String s : List.of(id.getEntityType(), id.getPerspective(), id.getUid())) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      out.write(b.length >>> 24);
      out.write(b.length >>> 16);
      out.write(b.length >>> 8);
      out.write(b.length);
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  @Override
  public void resolveHomes(ResolveHomesRequest request, StreamObserver<ResolveHomesResponse> out) {
    Calls.unary(
        out,
        () -> {
          int n = request.getClaimsCount();
          byte[][] keys = new byte[n][];
          int[] proposed = new int[n];
          for (int i = 0; i < n; i++) {
            HomeClaim c = request.getClaims(i);
            if (!c.hasIdentity()) {
              throw new IllegalArgumentException("claim " + i + ": identity must be set");
            }
            keys[i] = key(c.getIdentity());
            proposed[i] = c.hasProposedSlot() ? c.getProposedSlot() : HomeDirectory.ABSENT;
          }
          // Read before the claims: a change racing them makes a later answer differ (safe side).
          long changes = directory.changes();
          int[] homes = n == 0 ? new int[0] : directory.claim(keys, proposed);
          ResolveHomesResponse.Builder b = ResolveHomesResponse.newBuilder();
          if (changes != HomeDirectory.CHANGES_UNKNOWN) {
            b.setDirectoryIncarnation(incarnation).setDirectoryChanges(changes);
          }
          for (int h : homes) {
            b.addHomes(slot(h));
          }
          return b.build();
        });
  }

  private static HomeSlot slot(int h) {
    return h == HomeDirectory.ABSENT
        ? HomeSlot.getDefaultInstance()
        : HomeSlot.newBuilder().setSlot(h).build();
  }

  @Override
  public void setHomes(SetHomesRequest request, StreamObserver<SetHomesResponse> out) {
    Calls.unary(
        out,
        () -> {
          SetHomesResponse.Builder b = SetHomesResponse.newBuilder();
          for (HomeMove m : request.getMovesList()) {
            b.addHomes(
                slot(
                    directory.compareAndSet(
                        key(m.getIdentity()), m.getExpectedSlot(), m.getNewSlot())));
          }
          return b.build();
        });
  }

  @Override
  public void listLiveRecords(
      ListLiveRecordsRequest request, StreamObserver<ListLiveRecordsResponse> out) {
    Calls.unary(
        out,
        () -> {
          int size = request.getPageSize();
          if (size > MAX_PAGE) {
            throw new IllegalArgumentException("page_size: " + size + " must be in 1.." + MAX_PAGE);
          }
          Reader reader = engine.reader();
          List<Reader.EntitySummary> page =
              reader.listEntities(request.getAfterEntityId(), size == 0 ? DEFAULT_PAGE : size);
          ListLiveRecordsResponse.Builder b = ListLiveRecordsResponse.newBuilder();
          for (Reader.EntitySummary e : page) {
            for (Identity id : e.members()) {
              var r = ResponseMapper.record(reader.getRecord(id));
              b.addRecords(
                      Record.newBuilder()
                          .setIdentity(ResponseMapper.identity(id))
                          .addAllDescriptors(r.getDescriptorsList()))
                  .addEntityIds(e.entityId());
            }
          }
          if (page.size() == (size == 0 ? DEFAULT_PAGE : size)) {
            b.setNextAfterEntityId(page.getLast().entityId());
          }
          return b.build();
        });
  }

  @Override
  public void changedRecords(
      ChangedRecordsRequest request, StreamObserver<ChangedRecordsResponse> out) {
    Calls.unary(
        out,
        () -> {
          int limit = request.getLimit() == 0 ? MAX_PAGE : request.getLimit();
          if (limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit: " + limit + " must be in 1.." + MAX_PAGE);
          }
          Reader reader = engine.reader();
          // Read before the events: every transaction up to it is in what the events read shows.
          long head = reader.lastTx() + 1;
          // 0: from the first kept event; an older from_tx gets FAILED_PRECONDITION (retention).
          long from = request.getFromTx() == 0 ? reader.firstEventTx() : request.getFromTx();
          // One more than asked: a transaction cut by the limit is left for the next call.
          List<EntityEvent> events = reader.events(from, limit + 1);
          boolean more = events.size() > limit;
          if (more) {
            long cut = events.get(limit).tx();
            events = events.stream().filter(e -> e.tx() < cut).toList();
            if (events.isEmpty()) {
              // One transaction alone has more events than the limit: read it whole.
              events = wholeTransaction(reader, cut, 2 * limit);
            }
          }
          // The records of the events' entities, transaction by transaction, within the byte
          // budget: a transaction that does not fit is left for the next call; one that does not
          // fit alone (an ontology switch on a large shard) asks the router for a full round.
          ChangedRecordsResponse.Builder b = ChangedRecordsResponse.newBuilder();
          Set<Long> entities = new HashSet<>();
          Set<Identity> members = new HashSet<>();
          long bytes = 0;
          int taken = 0;
          while (taken < events.size()) {
            long tx = events.get(taken).tx();
            int end = taken;
            while (end < events.size() && events.get(end).tx() == tx) {
              end++;
            }
            int mark = b.getRecordsCount();
            for (int i = taken; i < end && bytes <= changeFeedBytes; i++) {
              EntityEvent e = events.get(i);
              List<Long> ids = new ArrayList<>(e.relatedIds().size() + 1);
              ids.add(e.entityId());
              ids.addAll(e.relatedIds());
              for (long id : ids) {
                if (!entities.add(id)) {
                  continue;
                }
                for (Identity m : reader.membersOf(id)) {
                  if (members.add(m) && bytes <= changeFeedBytes) {
                    var info = reader.getRecord(m);
                    Record r = record(m, info);
                    bytes += r.getSerializedSize() + 8;
                    b.addRecords(r).addEntityIds(info.entityId());
                  }
                }
              }
            }
            if (bytes > changeFeedBytes) {
              if (taken == 0) {
                throw new PreconditionFailedException(
                    "transaction "
                        + tx
                        + " changed more records than one change-feed response holds (over "
                        + changeFeedBytes
                        + " bytes); "
                        + FULL_ROUND);
              }
              for (int i = b.getRecordsCount() - 1; i >= mark; i--) {
                b.removeRecords(i);
              }
              List<Long> kept = List.copyOf(b.getEntityIdsList().subList(0, mark));
              b.clearEntityIds().addAllEntityIds(kept);
              more = true;
              break;
            }
            taken = end;
          }
          events = events.subList(0, taken);
          return b.setEvents(events.size())
              .setMore(more)
              .setNextFromTx(
                  Math.max(events.isEmpty() ? from : events.getLast().tx() + 1, more ? 0 : head))
              .build();
        });
  }

  private static Record record(Identity id, RecordInfo info) {
    var r = ResponseMapper.record(info);
    return Record.newBuilder()
        .setIdentity(ResponseMapper.identity(id))
        .addAllDescriptors(r.getDescriptorsList())
        .build();
  }

  /** The events of transaction {@code tx}, reading twice as many each time until all are in. */
  private static List<EntityEvent> wholeTransaction(Reader reader, long tx, int guess) {
    for (int n = guess; ; n = Math.multiplyExact(n, 2)) {
      List<EntityEvent> page = reader.events(tx, n);
      if (page.size() < n || page.getLast().tx() != tx) {
        return page.stream().filter(e -> e.tx() == tx).toList();
      }
    }
  }

  @Override
  public void findRecords(FindRecordsRequest request, StreamObserver<FindRecordsResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (request.getValuesCount() > MAX_FIND_VALUES) {
            throw new IllegalArgumentException(
                "values: " + request.getValuesCount() + " must be at most " + MAX_FIND_VALUES);
          }
          Reader reader = engine.reader();
          Set<Identity> found = new LinkedHashSet<>();
          for (var v : request.getValuesList()) {
            found.addAll(reader.holders(v.getAttr(), v.getValue()));
          }
          FindRecordsResponse.Builder b = FindRecordsResponse.newBuilder();
          for (Identity id : found) {
            var info = reader.getRecord(id);
            b.addRecords(record(id, info)).addEntityIds(info.entityId());
          }
          return b.build();
        });
  }

  private static void addRecord(
      java.util.function.Consumer<Record> sink, Reader reader, Identity id) {
    var r = ResponseMapper.record(reader.getRecord(id));
    sink.accept(
        Record.newBuilder()
            .setIdentity(ResponseMapper.identity(id))
            .addAllDescriptors(r.getDescriptorsList())
            .build());
  }

  // ---- Shard map and rebalancing (docs/distributed.md "Rebalancing") ----

  @Override
  public void getShardInfo(GetShardInfoRequest request, StreamObserver<GetShardInfoResponse> out) {
    Calls.unary(
        out,
        () -> {
          GetShardInfoResponse.Builder b =
              GetShardInfoResponse.newBuilder()
                  .setShardId(engine.config().shardId())
                  .addAllMoves(slots.moves());
          ShardMapState m = slots.map();
          if (m != null) {
            b.setMap(m).setEpoch(m.getEpoch());
          }
          return b.build();
        });
  }

  @Override
  public void assignSlots(AssignSlotsRequest request, StreamObserver<AssignSlotsResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (!request.hasMap()) {
            throw new IllegalArgumentException("map: must be set");
          }
          return AssignSlotsResponse.newBuilder().setEpoch(slots.assign(request.getMap())).build();
        });
  }

  @Override
  public void saveSlotMove(SaveSlotMoveRequest request, StreamObserver<SaveSlotMoveResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (request.getRemove()) {
            slots.removeMove(request.getMove().getId());
          } else {
            slots.saveMove(request.getMove());
          }
          return SaveSlotMoveResponse.getDefaultInstance();
        });
  }

  @Override
  public void dropHomes(DropHomesRequest request, StreamObserver<DropHomesResponse> out) {
    Calls.unary(
        out,
        () -> {
          boolean[] moving = moving(request.getSlotsList());
          long n = 0;
          byte[] after = null;
          while (true) {
            List<byte[][]> page = slots.homes(after, HOME_PAGE);
            if (page.isEmpty()) {
              break;
            }
            List<byte[]> drop = new ArrayList<>();
            for (byte[][] kv : page) {
              if (moving[SlotStore.slotOfKey(kv[0])]) {
                drop.add(kv[0]);
              }
            }
            slots.deleteHomes(drop);
            n += drop.size();
            after = page.getLast()[0];
          }
          return DropHomesResponse.newBuilder().setHomes(n).build();
        });
  }

  private static boolean[] moving(List<SlotRange> ranges) {
    boolean[] out = new boolean[SlotStore.SLOTS];
    for (SlotRange r : ranges) {
      if (r.getFirst() > r.getLast() || r.getLast() >= SlotStore.SLOTS) {
        throw new IllegalArgumentException(
            "slots: range "
                + r.getFirst()
                + "-"
                + r.getLast()
                + " must be ascending within 0.."
                + (SlotStore.SLOTS - 1));
      }
      java.util.Arrays.fill(out, r.getFirst(), r.getLast() + 1, true);
    }
    return out;
  }

  private static final int HOME_PAGE = 5000;

  /**
   * Streams chunks with manual flow control: the next chunk is produced only while the stream is
   * ready, so at most one chunk beyond gRPC's window is in memory.
   */
  @Override
  public void exportSlot(ExportSlotRequest request, StreamObserver<SlotChunk> out) {
    int chunk = request.getChunk() == 0 ? 500 : request.getChunk();
    if (chunk > MAX_PAGE) {
      out.onError(
          io.grpc.Status.INVALID_ARGUMENT
              .withDescription("chunk: " + chunk + " must be in 1.." + MAX_PAGE)
              .asRuntimeException());
      return;
    }
    ServerCallStreamObserver<SlotChunk> stream = (ServerCallStreamObserver<SlotChunk>) out;
    Exporter exporter = new Exporter(request, chunk, stream);
    stream.setOnReadyHandler(exporter::drain);
    stream.setOnCancelHandler(() -> {});
    exporter.drain();
  }

  /** Produces an export's chunks one by one (see {@link #exportSlot}). */
  private final class Exporter {
    private final ExportSlotRequest request;
    private final int chunk;
    private final ServerCallStreamObserver<SlotChunk> stream;
    private final boolean[] moving;
    private long after;
    private long fromTx;
    private byte[] afterHome;
    private int chunks;
    private boolean done;

    Exporter(ExportSlotRequest request, int chunk, ServerCallStreamObserver<SlotChunk> stream) {
      this.request = request;
      this.chunk = chunk;
      this.stream = stream;
      this.moving = request.getHomes() ? moving(request.getSlotsList()) : null;
      this.after = request.getAfterEntityId();
      this.fromTx = Math.max(1, request.getFromTx());
    }

    synchronized void drain() {
      while (!done && !stream.isCancelled() && stream.isReady()) {
        SlotChunk next;
        try {
          next = next();
        } catch (Throwable t) { // every failure must become a status
          done = true;
          stream.onError(Statuses.toStatus(t).asRuntimeException());
          return;
        }
        if (next != null) {
          stream.onNext(next);
          chunks++;
        }
        if (done || (request.getMaxChunks() > 0 && chunks >= request.getMaxChunks())) {
          done = true;
          stream.onCompleted();
        }
      }
    }

    private SlotChunk next() {
      if (moving != null) {
        List<byte[][]> page = slots.homes(afterHome, HOME_PAGE);
        SlotChunk.Builder b = SlotChunk.newBuilder();
        for (byte[][] kv : page) {
          if (moving[SlotStore.slotOfKey(kv[0])]) {
            b.addHomes(
                HomeRow.newBuilder()
                    .setIdentity(identityOf(kv[0]))
                    .setSlot(java.nio.ByteBuffer.wrap(kv[1]).getInt()));
          }
        }
        done = page.size() < HOME_PAGE;
        if (!page.isEmpty()) {
          afterHome = page.getLast()[0];
        }
        return b.build();
      }
      Reader reader = engine.reader();
      if (request.getFromTx() > 0) {
        List<EntityEvent> events = reader.events(fromTx, chunk + 1);
        boolean more = events.size() > chunk;
        if (more) {
          long cut = events.get(chunk).tx();
          events = events.stream().filter(e -> e.tx() < cut).toList();
          if (events.isEmpty()) {
            events = wholeTransaction(reader, cut, 2 * chunk);
          }
        }
        Set<Long> entities = new LinkedHashSet<>();
        for (EntityEvent e : events) {
          entities.add(e.entityId());
          entities.addAll(e.relatedIds());
        }
        SlotChunk.Builder b = SlotChunk.newBuilder().setMore(more).setEvents(events.size());
        for (long id : entities) {
          b.addEntities(entity(reader, id, reader.membersOf(id)));
        }
        fromTx = events.isEmpty() ? fromTx : events.getLast().tx() + 1;
        b.setCursor(fromTx);
        done = !more;
        return b.build();
      }
      List<Reader.EntitySummary> page = reader.listEntities(after, chunk);
      SlotChunk.Builder b = SlotChunk.newBuilder();
      for (Reader.EntitySummary e : page) {
        b.addEntities(entity(reader, e.entityId(), e.members()));
      }
      done = page.size() < chunk;
      after = page.isEmpty() ? after : page.getLast().entityId();
      return b.setCursor(done ? 0 : after).build();
    }
  }

  private static SlotEntity entity(Reader reader, long id, java.util.Collection<Identity> members) {
    SlotEntity.Builder b = SlotEntity.newBuilder().setEntityId(id);
    members.forEach(m -> addRecord(b::addRecords, reader, m));
    return b.build();
  }

  /** The identity of a directory key (the inverse of {@link #key}). */
  static io.tempora.proto.v1.Identity identityOf(byte[] key) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(key);
    String[] parts = new String[3];
    for (int i = 0; i < 3; i++) {
      byte[] s = new byte[b.getInt()];
      b.get(s);
      parts[i] = new String(s, StandardCharsets.UTF_8);
    }
    return io.tempora.proto.v1.Identity.newBuilder()
        .setEntityType(parts[0])
        .setPerspective(parts[1])
        .setUid(parts[2])
        .build();
  }

  /**
   * Stores each chunk staged in one durable write and only then asks for the next one (manual flow
   * control: memory bounded by one chunk).
   */
  @Override
  public StreamObserver<SlotChunk> importSlot(StreamObserver<ImportSlotResponse> out) {
    ServerCallStreamObserver<ImportSlotResponse> stream =
        (ServerCallStreamObserver<ImportSlotResponse>) out;
    stream.disableAutoRequest();
    stream.request(1);
    return new StreamObserver<>() {
      private long chunks;
      private long records;
      private boolean failed;

      @Override
      public void onNext(SlotChunk c) {
        if (failed) {
          return;
        }
        io.grpc.Status s =
            Calls.run(
                () -> {
                  List<Long> ids = new ArrayList<>();
                  List<List<Record>> recs = new ArrayList<>();
                  for (SlotEntity e : c.getEntitiesList()) {
                    ids.add(e.getEntityId());
                    recs.add(e.getRecordsList());
                  }
                  records += slots.stage(ids, recs, c.getMoveId());
                  if (c.getHomesCount() > 0) {
                    List<byte[]> keys = new ArrayList<>();
                    List<Integer> homes = new ArrayList<>();
                    for (HomeRow h : c.getHomesList()) {
                      keys.add(key(h.getIdentity()));
                      homes.add(h.getSlot());
                    }
                    slots.stageHomes(keys, homes, c.getMoveId());
                  }
                  chunks++;
                });
        if (s != null) {
          failed = true;
          stream.onError(s.asRuntimeException());
          return;
        }
        stream.request(1);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        stream.onNext(
            ImportSlotResponse.newBuilder().setChunks(chunks).setRecords(records).build());
        stream.onCompleted();
      }
    };
  }

  @Override
  public void finishImport(FinishImportRequest request, StreamObserver<FinishImportResponse> out) {
    Calls.unary(
        out,
        () -> {
          int batch = request.getBatch() == 0 ? 500 : request.getBatch();
          if (batch > MAX_PAGE) {
            throw new IllegalArgumentException("batch: " + batch + " must be in 1.." + MAX_PAGE);
          }
          batch = Math.min(batch, engine.config().limits().maxRecords());
          long[] done = new StagedActivation(engine, slots).finish(batch, request.getAbort());
          long records = done[0];
          long homes = done[1];
          return FinishImportResponse.newBuilder().setRecords(records).setHomes(homes).build();
        });
  }
}
