package io.tempora.shardserver.grpc;

import io.grpc.stub.StreamObserver;
import io.tempora.engine.Engine;
import io.tempora.engine.NotFoundException;
import io.tempora.engine.Reader;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.Identity;
import io.tempora.persistence.HomeDirectory;
import io.tempora.proto.internal.v1.AckDirtyRequest;
import io.tempora.proto.internal.v1.AckDirtyResponse;
import io.tempora.proto.internal.v1.AcquireLeaseRequest;
import io.tempora.proto.internal.v1.AcquireLeaseResponse;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ChangeFeedStateResponse;
import io.tempora.proto.internal.v1.ChangedRecordsRequest;
import io.tempora.proto.internal.v1.ChangedRecordsResponse;
import io.tempora.proto.internal.v1.FindRecordsRequest;
import io.tempora.proto.internal.v1.FindRecordsResponse;
import io.tempora.proto.internal.v1.HomeClaim;
import io.tempora.proto.internal.v1.HomeMove;
import io.tempora.proto.internal.v1.HomeSlot;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsResponse;
import io.tempora.proto.internal.v1.LookupRecordsRequest;
import io.tempora.proto.internal.v1.LookupRecordsResponse;
import io.tempora.proto.internal.v1.ResolveHomesRequest;
import io.tempora.proto.internal.v1.ResolveHomesResponse;
import io.tempora.proto.internal.v1.SetHomesRequest;
import io.tempora.proto.internal.v1.SetHomesResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Record;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The implemented part of the internal {@code tempora.internal.v1.Shard} service: the identity
 * directory (ResolveHomes, SetHomes) and what reconciliation reads: every live record
 * (ListLiveRecords), the records changed since a transaction (ChangedRecords) and the records
 * holding given values (FindRecords), the reconcile lease (AcquireLease), the change-feed state and
 * cursor (ChangeFeedState, AckDirty). Other methods answer UNIMPLEMENTED. Thread-safe.
 */
public final class ShardInternalGrpcService extends ShardGrpc.ShardImplBase {
  private static final int DEFAULT_PAGE = 1000;
  private static final int MAX_PAGE = 10_000;
  private static final int MAX_FIND_VALUES = 10_000;

  private final Engine engine;
  private final HomeDirectory directory;
  private final ReconcileState reconcile;

  /**
   * @param engine the shard's engine (records are listed from it)
   * @param directory this shard's part of the identity directory; not owned
   * @param reconcile the lease, fence and change-feed cursor kept in that directory
   */
  public ShardInternalGrpcService(
      Engine engine, HomeDirectory directory, ReconcileState reconcile) {
    this.engine = engine;
    this.directory = directory;
    this.reconcile = reconcile;
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
          int[] homes = directory.claim(keys, proposed);
          ResolveHomesResponse.Builder b = ResolveHomesResponse.newBuilder();
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
                      .addAllDescriptors(r.getDescriptorsList()));
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
          long from = Math.max(1, request.getFromTx());
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
          Set<Long> entities = new LinkedHashSet<>();
          for (EntityEvent e : events) {
            entities.add(e.entityId());
            entities.addAll(e.relatedIds());
          }
          Set<Identity> members = new LinkedHashSet<>();
          for (long id : entities) {
            members.addAll(reader.membersOf(id));
          }
          ChangedRecordsResponse.Builder b =
              ChangedRecordsResponse.newBuilder()
                  .setEvents(events.size())
                  .setMore(more)
                  .setNextFromTx(
                      Math.max(
                          events.isEmpty() ? from : events.getLast().tx() + 1, more ? 0 : head));
          members.forEach(id -> addRecord(b::addRecords, reader, id));
          return b.build();
        });
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
          found.forEach(id -> addRecord(b::addRecords, reader, id));
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
}
