package io.tempora.router;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.tempora.engine.write.RequestValidator;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.CheckpointRequest;
import io.tempora.proto.v1.CheckpointResponse;
import io.tempora.proto.v1.ConflictItem;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.DeleteResponse;
import io.tempora.proto.v1.DescriptorHolders;
import io.tempora.proto.v1.EntityEvent;
import io.tempora.proto.v1.EntityMember;
import io.tempora.proto.v1.EntityStatus;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.ExplainOutcome;
import io.tempora.proto.v1.ExplainRequest;
import io.tempora.proto.v1.ExplainResponse;
import io.tempora.proto.v1.ExportRequest;
import io.tempora.proto.v1.ExportResponse;
import io.tempora.proto.v1.ExportRowsChunk;
import io.tempora.proto.v1.ExportRowsRequest;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetOntologyRequest;
import io.tempora.proto.v1.GetOntologyResponse;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.IngestStreamResponse;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.ListEntityChangesRequest;
import io.tempora.proto.v1.ListEntityChangesResponse;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryConflict;
import io.tempora.proto.v1.QueryConflictEntity;
import io.tempora.proto.v1.QueryConflictInterval;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.QueryMatch;
import io.tempora.proto.v1.QueryMatches;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.SetOntologyResponse;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.WriteItem;
import io.tempora.shardserver.grpc.RequestMapper;
import io.tempora.shardserver.grpc.Statuses;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The client-facing {@code TemporaService} of a router (DISTRIBUTED.md §3, §4 "Reads"). With one
 * shard every call is forwarded unchanged, so the router answers exactly as the shard does. With
 * several shards, writes are validated here (DOMAIN.md §2.2), grouped by the home shard of each
 * identity ({@link ShardMap#shardOf}) and sent as parallel sub-batches; reads fan out in parallel
 * and are merged (see docs/distributed.md for what is exact and what is not yet). Thread-safe.
 */
public final class RouterGrpcService extends TemporaServiceGrpc.TemporaServiceImplBase {
  private static final String TOKEN_PREFIX = "r2:";

  private final List<ShardClient> shards;
  private final ShardMap map;
  private final RouterConfig config;
  private final RequestValidator validator;
  private final Fanout fanout;
  private final SplitEntities split;
  private final Directory directory;

  /** Reconciliation rounds, SetOntology and a slot move's freeze exclude each other. */
  private final ReadWriteLock lock = new ReentrantReadWriteLock();

  /** Client writes (read side) and SetOntology (write side). */
  private final ReadWriteLock ontologyLock = new ReentrantReadWriteLock();

  /** Client writes and a slot move's freeze. */
  private final MoveFreeze freeze;

  /** Client reads and a slot move's switch (flip to clean). */
  private final MoveFreeze readFreeze;

  private final AtomicReference<Signatures> signatures = new AtomicReference<>();
  private final AtomicBoolean dirty = new AtomicBoolean();
  private final Reconciler reconciler;
  private final MapSync mapSync;
  private final Rebalancer rebalancer;
  private final ReconcileLoop reconcileLoop;
  private final RouterMetrics metrics = new RouterMetrics();

  /**
   * @param shards one client per shard, in shard id order
   * @param executor runs the parallel shard calls; not owned
   */
  public RouterGrpcService(
      List<ShardClient> shards, RouterConfig config, ExecutorService executor) {
    this(shards, config, executor, System::nanoTime);
  }

  /**
   * As above, with the monotonic clock of the reconcile lease and loop given ({@link
   * System#nanoTime} outside tests; the router simulation passes its virtual time).
   */
  RouterGrpcService(
      List<ShardClient> shards, RouterConfig config, ExecutorService executor, LongSupplier nanos) {
    this.map = new ShardMap(shards.size());
    // Every shard call carries the map epoch; a stale one makes the router refresh its map.
    AtomicReference<MapSync> sync = new AtomicReference<>();
    this.shards =
        shards.stream()
            .map(
                s ->
                    new ShardClient(
                        s.id(),
                        s.address(),
                        new EpochChannel(s.channel(), map, () -> sync.get().refreshLater())))
            .toList();
    this.mapSync = new MapSync(this.shards, map, executor, config.readDeadline());
    sync.set(mapSync);
    this.config = config;
    this.freeze = MoveFreeze.writes(config.rebalance().maxFreeze());
    this.readFreeze = MoveFreeze.reads(config.rebalance().maxFreeze());
    this.validator = new RequestValidator(config.limits());
    this.fanout = new Fanout(this.shards, executor, config.fanout().parallelism());
    this.split = new SplitEntities(this.shards, fanout, this::read);
    this.directory = new Directory(this.shards, map, fanout, config.writeDeadline());
    this.reconciler =
        new Reconciler(
            this.shards,
            map,
            directory,
            fanout,
            lock,
            this::freshSignatures,
            config.limits().maxRecords(),
            config.reconcile().maxBatch(),
            config.writeDeadline());
    this.rebalancer =
        new Rebalancer(
            this.shards,
            map,
            mapSync,
            directory,
            moveHolds(),
            readFreeze,
            new Rebalancer.Rounds() {
              @Override
              public long finishMoves(boolean wait) {
                return single()
                    ? 0
                    : reconcileLoop.finishMoves(wait ? leasePatience() : Duration.ZERO);
              }

              @Override
              public void reconcile() {
                RouterGrpcService.this.reconcile(false);
              }
            },
            config.limits().maxRecords());
    this.reconcileLoop =
        new ReconcileLoop(
            this.shards,
            fanout,
            reconciler,
            new ReconcileLease(
                this.shards.get(0),
                config.reconcile().holder(),
                config.reconcile().leaseTtl(),
                config.readDeadline(),
                nanos),
            metrics,
            config.readDeadline(),
            nanos);
  }

  /**
   * What a slot move holds (docs/distributed.md "Rebalancing"): client writes (up to {@code
   * rebalance.max_freeze} each, {@link MoveFreeze}) until the flip, and this router's
   * reconciliation rounds and SetOntology (the round gate, then {@code lock}) until the source is
   * clean. Order: the write freeze, the round gate, {@code lock}; as SetOntology takes the gate and
   * a client write the freeze before their other locks, no cycle forms.
   */
  private Rebalancer.Holds moveHolds() {
    return () -> {
      freeze.freeze();
      Lock gate = reconciler.roundGate();
      gate.lock();
      lock.writeLock().lock();
      return new Rebalancer.Held() {
        private boolean writesHeld = true;
        private boolean closed;

        @Override
        public void releaseWrites() {
          if (writesHeld) {
            writesHeld = false;
            lock.writeLock().unlock();
            freeze.thaw();
          }
        }

        @Override
        public void close() {
          if (!closed) {
            closed = true;
            releaseWrites();
            gate.unlock();
          }
        }
      };
    };
  }

  /** Client reads waiting for a slot move's switch now (a test seam). */
  int readsWaiting() {
    return readFreeze.waiting();
  }

  /** Installs a test seam in this router's moves ({@link MoveHook}). */
  void moveHook(MoveHook hook) {
    reconciler.moveHook(hook);
  }

  /** The lease holder's loop (polls, rounds, settled reads). */
  ReconcileLoop reconcileLoop() {
    return reconcileLoop;
  }

  /** This router's metrics. */
  public RouterMetrics metrics() {
    return metrics;
  }

  /** Slot moves (the Rebalance admin call). */
  Rebalancer rebalancer() {
    return rebalancer;
  }

  /**
   * Runs reconciliation now (with one shard there is nothing to do) as the lease holder, taking or
   * waiting for the lease (FAILED_PRECONDITION naming the holder if another router keeps it):
   * incremental rounds over what changed since the acknowledged cursors, or full passes when {@code
   * full} (or when a shard was never reconciled, or after an ontology change).
   */
  public ReconcileResponse reconcile(boolean full) {
    if (single()) {
      return ReconcileResponse.getDefaultInstance();
    }
    dirty.set(false);
    return reconcileLoop.reconcile(full, leasePatience());
  }

  /** How long to take or wait for the lease (DS-4): its ttl, within the client's deadline. */
  private Duration leasePatience() {
    Duration ttl = config.reconcile().leaseTtl();
    Duration patience = Fanout.perCall(ttl, Duration.ofMillis(200));
    return patience.compareTo(ttl) < 0 ? patience : ttl;
  }

  /** True iff a write went through this router since the last reconciliation started. */
  public boolean dirty() {
    return dirty.get();
  }

  private Signatures freshSignatures() {
    Signatures s =
        new Signatures(
            call(only(), c -> c.stub(read()).getOntology(GetOntologyRequest.getDefaultInstance()))
                .getOntology());
    signatures.set(s);
    return s;
  }

  private Signatures signatures() {
    Signatures s = signatures.get();
    return s != null ? s : freshSignatures();
  }

  private boolean single() {
    return shards.size() == 1;
  }

  private ShardClient only() {
    return shards.get(0);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing.

  private static <T> void unary(StreamObserver<T> out, Supplier<T> body) {
    T answer;
    try {
      answer = body.get();
    } catch (RuntimeException e) {
      // Trailers carry details such as the missing shards of a fan-out.
      out.onError(Statuses.toStatus(e).asRuntimeException(Status.trailersFromThrowable(e)));
      return;
    }
    out.onNext(answer);
    out.onCompleted();
  }

  /**
   * A client read: as {@link #unary}, admitted by the read freeze of a slot move's switch first
   * (docs/distributed.md "Rebalancing", "Reads during a move").
   */
  private <T> void readUnary(StreamObserver<T> out, Supplier<T> body) {
    unary(
        out,
        () -> {
          readFreeze.enter();
          try {
            return body.get();
          } finally {
            readFreeze.leave();
          }
        });
  }

  private static <T> T call(ShardClient shard, Function<ShardClient, T> rpc) {
    return Fanout.call(shard, rpc);
  }

  private <T> List<T> fanOut(Function<ShardClient, T> rpc) {
    return fanout.all(rpc);
  }

  /** Deadline of a shard read made now: the client's remaining one minus the margin. */
  private Duration read() {
    return Fanout.perCall(config.readDeadline(), config.fanout().margin());
  }

  /** Deadline of a shard write made now: the client's remaining one minus the margin. */
  private Duration write() {
    return Fanout.perCall(config.writeDeadline(), config.fanout().margin());
  }

  private ShardClient home(int slot) {
    return shards.get(map.shardOfSlot(slot));
  }

  // -------------------------------------------------------------------------------------------
  // Ontology.

  @Override
  public void setOntology(SetOntologyRequest request, StreamObserver<SetOntologyResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(write()).setOntology(request));
          }
          ontologyLock.writeLock().lock();
          reconciler.roundGate().lock();
          lock.writeLock().lock();
          try {
            int before =
                call(
                        only(),
                        s -> s.stub(read()).getOntology(GetOntologyRequest.getDefaultInstance()))
                    .getOntologyVersion();
            // Shard 0 decides (version check, validation); the others follow its document.
            SetOntologyResponse first = call(only(), s -> s.stub(write()).setOntology(request));
            SetOntologyRequest rest = request.toBuilder().clearExpectedVersion().build();
            Map<Integer, SetOntologyResponse> others =
                fanout.groups(
                    groupsOfOthers(), (s, positions) -> s.stub(write()).setOntology(rest));
            signatures.set(null);
            // A new version may change every signature: the next round is full. Setting an equal
            // document keeps the version and rounds incremental.
            boolean switched = first.getVersion() != before;
            for (SetOntologyResponse r : others.values()) {
              switched |= r.getVersion() != first.getVersion();
            }
            if (switched) {
              reconciler.requireFull();
              dirty.set(true);
            }
            return first;
          } finally {
            lock.writeLock().unlock();
            reconciler.roundGate().unlock();
            ontologyLock.writeLock().unlock();
          }
        });
  }

  private Map<Integer, List<Integer>> groupsOfOthers() {
    Map<Integer, List<Integer>> g = new TreeMap<>();
    for (int s = 1; s < shards.size(); s++) {
      g.put(s, List.of(s));
    }
    return g;
  }

  @Override
  public void getOntology(GetOntologyRequest request, StreamObserver<GetOntologyResponse> out) {
    unary(out, () -> call(only(), s -> s.stub(read()).getOntology(request)));
  }

  // -------------------------------------------------------------------------------------------
  // Writes.

  @Override
  public void ingest(IngestRequest request, StreamObserver<IngestResponse> out) {
    unary(out, () -> ingest(request));
  }

  private IngestResponse ingest(IngestRequest request) {
    if (single()) {
      return call(only(), s -> s.stub(write()).ingest(request));
    }
    validator.validateUpsert(RequestMapper.records(request));
    if (request.getRecordsCount() == 0) {
      return IngestResponse.getDefaultInstance();
    }
    // A slot move's freeze (bounded: rebalance.max_freeze) and an ontology switch exclude writes.
    // Reconciliation rounds, of this router or another, do not: a write racing a move is made safe
    // by HomeRecheck, the carry-over's compare-and-write and the move journal (docs/distributed.md
    // "Writes during a move").
    freeze.enter();
    ontologyLock.readLock().lock();
    holdForRounds();
    try {
      dirty.set(true);
      List<Identity> ids = new ArrayList<>(request.getRecordsCount());
      int[] proposed = proposedHomes(request, signatures(), ids);
      List<String> reasons = new ArrayList<>();
      Directory.Seen seen = new Directory.Seen(map.epoch());
      int[] homes = directory.tryResolve(ids, proposed, reasons, seen);
      List<Integer> failed = new ArrayList<>();
      Map<Integer, List<Integer>> groups = new TreeMap<>();
      for (int i = 0; i < homes.length; i++) {
        if (homes[i] == Directory.FAILED) {
          failed.add(i);
        } else {
          groups.computeIfAbsent(map.shardOfSlot(homes[i]), k -> new ArrayList<>()).add(i);
        }
      }
      WriteItem[] items = new WriteItem[homes.length];
      List<EntityEvent> events = new ArrayList<>();
      long tx =
          sendAndRecheck(
              groups,
              failed,
              reasons,
              ids,
              homes,
              seen,
              items,
              events,
              (shard, positions) -> {
                IngestRequest.Builder b = IngestRequest.newBuilder();
                positions.forEach(p -> b.addRecords(request.getRecords(p)));
                IngestResponse r = shard.stub(write()).ingest(b.build());
                return new Sub(r.getTx(), r.getEventsList(), r.getItemsList());
              });
      return IngestResponse.newBuilder()
          .setTx(tx)
          .addAllEvents(events)
          .addAllItems(List.of(items))
          .build();
    } finally {
      releaseForRounds();
      ontologyLock.readLock().unlock();
      freeze.leave();
    }
  }

  /**
   * The home slot each record of {@code request} would claim ({@link Signatures#homeSlot}); adds
   * the identities to {@code ids}. A method of its own so that the JIT compiles this per-record
   * loop on its own (an on-stack replacement of the whole ingest method was a large compilation).
   */
  private static int[] proposedHomes(IngestRequest request, Signatures sigs, List<Identity> ids) {
    int[] proposed = new int[request.getRecordsCount()];
    for (int i = 0; i < proposed.length; i++) {
      ids.add(request.getRecords(i).getIdentity());
      proposed[i] = sigs.homeSlot(request.getRecords(i));
    }
    return proposed;
  }

  /**
   * With {@code reconcile.rounds_hold_writes} (the default), a client write waits while a round of
   * this router runs and a round waits for running writes: rounds then finish sooner under steady
   * writes. Without it, writes and rounds interleave (safe either way).
   */
  private void holdForRounds() {
    if (config.reconcile().roundsHoldWrites()) {
      lock.readLock().lock();
    }
  }

  private void releaseForRounds() {
    if (config.reconcile().roundsHoldWrites()) {
      lock.readLock().unlock();
    }
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(write()).delete(request));
          }
          validator.validateDelete(RequestMapper.identities(request));
          if (request.getIdentitiesCount() == 0) {
            return DeleteResponse.getDefaultInstance();
          }
          freeze.enter(); // as for ingest
          ontologyLock.readLock().lock();
          holdForRounds();
          try {
            dirty.set(true);
            List<String> reasons = new ArrayList<>();
            Directory.Seen seen = new Directory.Seen(map.epoch());
            int[] homes = directory.tryLookup(request.getIdentitiesList(), reasons, seen);
            WriteItem[] items = new WriteItem[homes.length];
            List<Integer> failed = new ArrayList<>();
            Map<Integer, List<Integer>> groups = new TreeMap<>();
            for (int i = 0; i < homes.length; i++) {
              if (homes[i] == Directory.FAILED) {
                failed.add(i);
              } else if (homes[i] == Directory.ABSENT) {
                items[i] =
                    WriteItem.newBuilder()
                        .setIndex(i)
                        .setOutcome(Outcome.OUTCOME_NOT_FOUND)
                        .build();
              } else {
                groups.computeIfAbsent(map.shardOfSlot(homes[i]), k -> new ArrayList<>()).add(i);
              }
            }
            List<EntityEvent> events = new ArrayList<>();
            long tx =
                sendAndRecheck(
                    groups,
                    failed,
                    reasons,
                    request.getIdentitiesList(),
                    homes,
                    seen,
                    items,
                    events,
                    (shard, positions) -> {
                      DeleteRequest.Builder b = DeleteRequest.newBuilder();
                      positions.forEach(p -> b.addIdentities(request.getIdentities(p)));
                      DeleteResponse r = shard.stub(write()).delete(b.build());
                      return new Sub(r.getTx(), r.getEventsList(), r.getItemsList());
                    });
            return DeleteResponse.newBuilder()
                .setTx(tx)
                .addAllEvents(events)
                .addAllItems(List.of(items))
                .build();
          } finally {
            releaseForRounds();
            ontologyLock.readLock().unlock();
            freeze.leave();
          }
        });
  }

  /** One shard's answer to its sub-batch of a write. */
  private record Sub(long tx, List<EntityEvent> events, List<WriteItem> items) {}

  /**
   * Sends a write's sub-batches, then resends the positions whose home a reconciliation move
   * changed meanwhile to the new home (HomeRecheck; {@code seen}: the directory change counters the
   * resolve saw), until none moved; fills {@code items} by request position, adds every shard's
   * events to {@code events} and returns the highest tx.
   */
  private long sendAndRecheck(
      Map<Integer, List<Integer>> groups,
      List<Integer> failed,
      List<String> reasons,
      List<Identity> ids,
      int[] homes,
      Directory.Seen seen,
      WriteItem[] items,
      List<EntityEvent> events,
      java.util.function.BiFunction<ShardClient, List<Integer>, Sub> send) {
    long tx = 0;
    for (int pass = 0; pass == 0 || !groups.isEmpty(); pass++) {
      checkResends(pass, groups);
      Map<Integer, List<Integer>> sent = groups;
      for (var e : applied(sent, failed, reasons, send).entrySet()) {
        List<Integer> positions = sent.get(e.getKey());
        tx = Math.max(tx, e.getValue().tx());
        events.addAll(e.getValue().events());
        for (WriteItem item : e.getValue().items()) {
          int p = positions.get(item.getIndex());
          items[p] = item.toBuilder().setIndex(p).build();
        }
      }
      groups = HomeRecheck.moved(directory, map, ids, homes, sent, seen);
    }
    return tx;
  }

  /** Gives up on a request whose identities keep moving (each pass is a resend to new homes). */
  private static void checkResends(int pass, Map<Integer, List<Integer>> groups) {
    if (pass > HomeRecheck.MAX_RESENDS) {
      List<Integer> positions = new ArrayList<>();
      groups.values().forEach(positions::addAll);
      throw Fanout.partialFailure(
          positions, List.of("their homes moved during the write " + pass + " times"));
    }
  }

  /**
   * Sends the sub-batches; acknowledges only when nothing failed (neither a directory lookup,
   * {@code failed}, nor a sub-batch), else UNAVAILABLE listing every failed position.
   */
  private <T> Map<Integer, T> applied(
      Map<Integer, List<Integer>> groups,
      List<Integer> failed,
      List<String> reasons,
      java.util.function.BiFunction<ShardClient, List<Integer>, T> rpc) {
    Fanout.Outcome<T> o = fanout.tryGroups(groups, rpc);
    if (o.definite() != null && o.answers().isEmpty() && failed.isEmpty()) {
      throw o.definite();
    }
    if (!failed.isEmpty() || !o.failed().isEmpty()) {
      List<Integer> all = new ArrayList<>(failed);
      all.addAll(o.failed());
      List<String> why = new ArrayList<>(reasons);
      why.addAll(o.reasons());
      throw Fanout.partialFailure(all, why);
    }
    return o.answers();
  }

  @Override
  public StreamObserver<IngestRequest> ingestStream(StreamObserver<IngestStreamResponse> out) {
    return new StreamObserver<>() {
      private final IngestStreamResponse.Builder summary = IngestStreamResponse.newBuilder();
      private boolean failed;

      @Override
      public void onNext(IngestRequest request) {
        if (failed) {
          return;
        }
        try {
          IngestResponse r = ingest(request);
          summary.setRequests(summary.getRequests() + 1);
          summary.setRecords(summary.getRecords() + request.getRecordsCount());
          for (WriteItem item : r.getItemsList()) {
            if (item.getOutcome() == Outcome.OUTCOME_CREATED) {
              summary.setCreated(summary.getCreated() + 1);
            } else if (item.getOutcome() == Outcome.OUTCOME_UPDATED) {
              summary.setUpdated(summary.getUpdated() + 1);
            } else {
              summary.setUnchanged(summary.getUnchanged() + 1);
            }
          }
          summary.setLastTx(Math.max(summary.getLastTx(), r.getTx()));
        } catch (RuntimeException e) {
          failed = true;
          Status s = Statuses.toStatus(e);
          out.onError(
              s.withDescription("request " + summary.getRequests() + ": " + s.getDescription())
                  .asRuntimeException());
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
      }

      @Override
      public void onCompleted() {
        if (!failed) {
          out.onNext(summary.build());
          out.onCompleted();
        }
      }
    };
  }

  // -------------------------------------------------------------------------------------------
  // Reads.

  @Override
  public void queryEntities(
      QueryEntitiesRequest request, StreamObserver<QueryEntitiesResponse> out) {
    readUnary(out, () -> query(request));
  }

  private static boolean empty(QueryEntitiesResponse r) {
    return !r.hasConflict() && r.getMatches().getMatchesCount() == 0;
  }

  private QueryEntitiesResponse query(QueryEntitiesRequest request) {
    if (single()) {
      return call(only(), s -> s.stub(read()).queryEntities(request));
    }
    Fanout.Gathered<QueryEntitiesResponse> first =
        fanout.gather(s -> s.stub(read()).queryEntities(request), request.getAllowPartial());
    QueryEntitiesResponse merged = merge(request, first);
    return merged.toBuilder().addAllMissingShards(first.missing()).build();
  }

  private QueryEntitiesResponse merge(
      QueryEntitiesRequest request, Fanout.Gathered<QueryEntitiesResponse> first) {
    List<QueryEntitiesResponse> parts =
        first.answers().stream().filter(java.util.Objects::nonNull).toList();
    if (parts.isEmpty()) {
      return QueryEntitiesResponse.newBuilder()
          .setMatches(QueryMatches.getDefaultInstance())
          .build();
    }
    List<QueryEntitiesResponse> nonEmpty = parts.stream().filter(p -> !empty(p)).toList();
    if (nonEmpty.size() <= 1) {
      return nonEmpty.isEmpty() ? parts.get(0) : nonEmpty.get(0);
    }
    // Matches on several shards: merge the raw matches, apply the conflict rule here. Only the
    // shards that answered the first call are asked: a shard that failed since fails the read.
    QueryEntitiesRequest all = request.toBuilder().setReturnAll(true).build();
    List<QueryEntitiesResponse> raw = new ArrayList<>();
    Set<Integer> absent = new HashSet<>();
    first.missing().forEach(m -> absent.add(m.getShardId()));
    fanOut(s -> absent.contains(s.id()) ? null : s.stub(read()).queryEntities(all))
        .forEach(
            r -> {
              if (r != null) {
                raw.add(r);
              }
            });
    List<QueryMatch> matches = new ArrayList<>();
    raw.forEach(r -> matches.addAll(r.getMatches().getMatchesList()));
    Map<Long, GetEntityResponse> entities = new HashMap<>();
    Function<Long, GetEntityResponse> entity = id -> entities.computeIfAbsent(id, this::entityById);
    wholeMatches(request, raw, matches);
    Comparator<Long> byAnchor =
        (x, y) ->
            Merges.CANONICAL.compare(
                entity.apply(x).getMembers(0).getIdentity(),
                entity.apply(y).getMembers(0).getIdentity());
    matches.sort(
        Comparator.<QueryMatch>comparingLong(m -> Merges.start(m.getInterval()))
            .thenComparingLong(m -> Merges.end(m.getInterval()))
            .thenComparing(QueryMatch::getEntityId, byAnchor));
    int version = raw.get(0).getOntologyVersion();
    QueryConflict conflict = request.getReturnAll() ? null : conflict(request, matches, entity);
    if (conflict == null) {
      return QueryEntitiesResponse.newBuilder()
          .setMatches(QueryMatches.newBuilder().addAllMatches(matches))
          .setOntologyVersion(version)
          .build();
    }
    return QueryEntitiesResponse.newBuilder()
        .setConflict(conflict)
        .setOntologyVersion(version)
        .build();
  }

  /**
   * Replaces the matches of an entity matched on several shards (an entity a slot move split, until
   * its reconciliation: each shard matched its part) by those of the whole entity, computed from
   * all its member records as one shard holding them would.
   */
  private void wholeMatches(
      QueryEntitiesRequest request, List<QueryEntitiesResponse> raw, List<QueryMatch> matches) {
    Map<Long, Integer> shardsOf = new HashMap<>();
    for (QueryEntitiesResponse r : raw) {
      r.getMatches().getMatchesList().stream()
          .map(QueryMatch::getEntityId)
          .distinct()
          .forEach(id -> shardsOf.merge(id, 1, Integer::sum));
    }
    shardsOf.forEach(
        (id, n) -> {
          if (n < 2) {
            return;
          }
          SplitEntities.Whole whole =
              wholeEntity(GetEntityRequest.newBuilder().setEntityId(id).build(), true);
          GetEntityResponse e = whole.answer();
          if (e.getResolvedStatus() != EntityStatus.ENTITY_STATUS_ACTIVE) {
            return; // gone since the shards matched it
          }
          matches.removeIf(m -> m.getEntityId() == id);
          matches.addAll(
              SplitEntities.matches(request, e.getResolved(), e.getEntityType(), whole.records()));
        });
  }

  /** The entity {@code id} as GetEntity answers it (wherever a slot move took it). */
  private GetEntityResponse entityById(long id) {
    return wholeEntity(GetEntityRequest.newBuilder().setEntityId(id).build());
  }

  /** DOMAIN.md §9 conflict rule over merged matches; null when no instant has two entities. */
  private QueryConflict conflict(
      QueryEntitiesRequest request,
      List<QueryMatch> matches,
      Function<Long, GetEntityResponse> entity) {
    TreeSet<Long> bounds = new TreeSet<>();
    for (QueryMatch m : matches) {
      bounds.add(Merges.start(m.getInterval()));
      bounds.add(Merges.end(m.getInterval()));
    }
    List<long[]> segments = new ArrayList<>();
    List<Set<Long>> sets = new ArrayList<>();
    Long prev = null;
    for (long b : bounds) {
      if (prev != null) {
        Set<Long> e = new HashSet<>();
        for (QueryMatch m : matches) {
          if (Merges.start(m.getInterval()) <= prev && Merges.end(m.getInterval()) >= b) {
            e.add(m.getEntityId());
          }
        }
        if (e.size() >= 2) {
          int last = segments.size() - 1;
          if (last >= 0 && segments.get(last)[1] == prev && sets.get(last).equals(e)) {
            segments.get(last)[1] = b;
          } else {
            segments.add(new long[] {prev, b});
            sets.add(e);
          }
        }
      }
      prev = b;
    }
    if (segments.isEmpty()) {
      return null;
    }
    Map<Identity, GetRecordResponse> records = new HashMap<>();
    QueryConflict.Builder out = QueryConflict.newBuilder();
    for (int k = 0; k < segments.size(); k++) {
      long s = segments.get(k)[0];
      long e = segments.get(k)[1];
      List<GetEntityResponse> es =
          sets.get(k).stream()
              .map(entity)
              .sorted(
                  Comparator.comparing(
                      (GetEntityResponse x) -> x.getMembers(0).getIdentity(), Merges.CANONICAL))
              .toList();
      QueryConflictInterval.Builder ci =
          QueryConflictInterval.newBuilder().setInterval(Merges.interval(s, e));
      for (GetEntityResponse x : es) {
        QueryConflictEntity.Builder qe =
            QueryConflictEntity.newBuilder().setEntityId(x.getResolved());
        for (AttrValue d : request.getDescriptorsList()) {
          DescriptorHolders.Builder h =
              DescriptorHolders.newBuilder().setAttr(d.getAttr()).setValue(d.getValue());
          for (EntityMember m : x.getMembersList()) {
            GetRecordResponse r = records.computeIfAbsent(m.getIdentity(), this::recordAt);
            boolean holds =
                r.getDescriptorsList().stream()
                    .anyMatch(
                        rd ->
                            rd.getAttr().equals(d.getAttr())
                                && rd.getValue().equals(d.getValue())
                                && Merges.start(rd.getInterval()) < e
                                && Merges.end(rd.getInterval()) > s);
            if (holds) {
              h.addHolders(m.getIdentity());
            }
          }
          qe.addDescriptors(h);
        }
        ci.addEntities(qe);
      }
      out.addIntervals(ci);
    }
    return out.build();
  }

  /**
   * The record of {@code id} from its home shard (not from the creator of its entity's id: a slot
   * move takes an entity to another shard with its id).
   */
  private GetRecordResponse recordAt(Identity id) {
    return call(
        holder(id),
        s -> s.stub(read()).getRecord(GetRecordRequest.newBuilder().setIdentity(id).build()));
  }

  @Override
  public void getEntity(GetEntityRequest request, StreamObserver<GetEntityResponse> out) {
    readUnary(out, () -> wholeEntity(request));
  }

  /**
   * GetEntity through the router: the entity where {@link #locateEntity} finds it, with the parts
   * of it other shards hold under the same id joined in (an entity a slot move split, until its
   * reconciliation: {@link SplitEntities}).
   */
  private GetEntityResponse wholeEntity(GetEntityRequest request) {
    return wholeEntity(request, false).answer();
  }

  /** As {@link #wholeEntity(GetEntityRequest)}, with its member records if asked for. */
  private SplitEntities.Whole wholeEntity(GetEntityRequest request, boolean withRecords) {
    Located found = locateEntity(request);
    if (single() || found.answer().getResolvedStatus() != EntityStatus.ENTITY_STATUS_ACTIVE) {
      return new SplitEntities.Whole(found.answer(), List.of());
    }
    return split.whole(request, found.answer(), found.shard(), withRecords);
  }

  /** A GetEntity answer and the shard that gave it. */
  private record Located(GetEntityResponse answer, ShardClient shard) {}

  /**
   * GetEntity through the router. Asks the id's creating shard; when that has no active entity for
   * it (NOT_FOUND, DELETED, or an alias whose chain ends at a DELETED entity), a slot move may have
   * taken the entity to another shard keeping its id (docs/decisions.md D3), while the creator
   * keeps its own history of the id: rows deleted by the move's clean, or an alias that the
   * creator's records left behind by the move formed after it (they merged into an older entity
   * there, which a later move or delete removed). So the other shards are asked for the id itself
   * first, then for the id the creator resolved it to; the first answer resolving to an active
   * entity is taken. The creator's answer otherwise.
   */
  private Located locateEntity(GetEntityRequest request) {
    int creator = (int) (request.getEntityId() >>> 48);
    ShardClient shard = creator < shards.size() ? shards.get(creator) : only();
    GetEntityResponse first;
    try {
      first = call(shard, s -> s.stub(read()).getEntity(request));
    } catch (StatusRuntimeException e) {
      if (single() || e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
      Located moved = movedEntity(request, request.getEntityId(), shard);
      if (moved == null) {
        throw e;
      }
      return moved;
    }
    if (single() || first.getResolvedStatus() != EntityStatus.ENTITY_STATUS_DELETED) {
      return new Located(first, shard);
    }
    Located moved = movedEntity(request, request.getEntityId(), shard);
    if (moved == null && first.getResolved() != request.getEntityId()) {
      moved = movedEntity(request, first.getResolved(), shard);
    }
    return moved == null ? new Located(first, shard) : moved;
  }

  /**
   * The entity {@code resolved} where a slot move took it: a moved entity keeps its id on the
   * target (docs/decisions.md D3), while its creating shard, having lost its records, reports it
   * deleted, an alias of an entity deleted since, or, for a moved alias target, does not know it.
   * Asks the other shards in shard order; the first one resolving it to an active entity answers,
   * with {@code requested} as asked (and MERGED when {@code resolved} is not the requested id).
   * Null if none does.
   */
  private Located movedEntity(GetEntityRequest request, long resolved, ShardClient creator) {
    GetEntityRequest ask = request.toBuilder().setEntityId(resolved).build();
    for (ShardClient other : shards) {
      if (other == creator) {
        continue;
      }
      GetEntityResponse r;
      try {
        r = call(other, s -> s.stub(read()).getEntity(ask));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
          continue;
        }
        throw e;
      }
      if (r.getResolvedStatus() == EntityStatus.ENTITY_STATUS_ACTIVE) {
        GetEntityResponse.Builder b = r.toBuilder().setRequested(request.getEntityId());
        if (resolved != request.getEntityId()) {
          b.setStatus(EntityStatus.ENTITY_STATUS_MERGED);
        }
        return new Located(b.build(), other);
      }
    }
    return null;
  }

  /** The shard to ask about an identity: its home, or its directory shard when unknown. */
  private ShardClient holder(Identity id) {
    int home = directory.lookup(List.of(id))[0];
    return home == Directory.ABSENT ? shards.get(map.shardOf(id)) : home(home);
  }

  @Override
  public void getRecord(GetRecordRequest request, StreamObserver<GetRecordResponse> out) {
    readUnary(
        out,
        () -> {
          ShardClient shard =
              single() || !request.hasIdentity() ? only() : holder(request.getIdentity());
          return call(shard, s -> s.stub(read()).getRecord(request));
        });
  }

  @Override
  public void explain(ExplainRequest request, StreamObserver<ExplainResponse> out) {
    readUnary(
        out,
        () -> {
          if (single() || !request.hasA() || !request.hasB() || request.hasAsOfTx()) {
            return call(only(), s -> s.stub(read()).explain(request));
          }
          ShardClient a = holder(request.getA());
          ShardClient b = holder(request.getB());
          if (a == b) {
            return call(a, s -> s.stub(read()).explain(request));
          }
          // Each record alone first: NOT_FOUND with the shard's own message if unknown or deleted.
          ExplainResponse ra =
              call(
                  a, s -> s.stub(read()).explain(request.toBuilder().setB(request.getA()).build()));
          call(b, s -> s.stub(read()).explain(request.toBuilder().setA(request.getB()).build()));
          // Different shards after reconciliation: different interaction components, no link.
          ExplainOutcome outcome =
              request.getA().getEntityType().equals(request.getB().getEntityType())
                  ? ExplainOutcome.EXPLAIN_OUTCOME_NO_LINK_PATH
                  : ExplainOutcome.EXPLAIN_OUTCOME_DIFFERENT_ENTITY_TYPE;
          return ExplainResponse.newBuilder()
              .setOutcome(outcome)
              .setOntologyVersion(ra.getOntologyVersion())
              .build();
        });
  }

  @Override
  public void listConflicts(
      ListConflictsRequest request, StreamObserver<ListConflictsResponse> out) {
    readUnary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(read()).listConflicts(request));
          }
          return mergedConflicts(request);
        });
  }

  /**
   * A k-way merge of every shard's items in DOMAIN.md §7.4 order. The token holds, per shard, the
   * shard's own token at the merged position ({@code -} once that shard is exhausted).
   */
  private ListConflictsResponse mergedConflicts(ListConflictsRequest request) {
    String[] state = new String[shards.size()];
    Arrays.fill(state, "+");
    if (!request.getPageToken().isEmpty()) {
      String[] parts = decode(request.getPageToken()).split("\n", -1);
      if (parts.length != shards.size()) {
        throw new IllegalArgumentException("page_token: malformed");
      }
      for (String p : parts) {
        if (!p.equals("-") && !p.startsWith("+")) {
          throw new IllegalArgumentException("page_token: malformed");
        }
      }
      state = parts;
    }
    String[] st = state;
    int size = request.getPageSize() == 0 ? 100 : request.getPageSize();
    Fanout.Gathered<ListConflictsResponse> gathered =
        fanout.gather(
            s ->
                st[s.id()].equals("-")
                    ? null
                    : s.stub(read())
                        .listConflicts(
                            request.toBuilder().setPageToken(st[s.id()].substring(1)).build()),
            request.getAllowPartial());
    List<ListConflictsResponse> pages = gathered.answers();
    Set<Integer> absent = new HashSet<>();
    gathered.missing().forEach(m -> absent.add(m.getShardId()));
    int[] taken = new int[shards.size()];
    List<ConflictItem> items = new ArrayList<>();
    while (items.size() < size) {
      int best = -1;
      for (int s = 0; s < shards.size(); s++) {
        ListConflictsResponse p = pages.get(s);
        if (p == null || taken[s] >= p.getItemsCount()) {
          continue;
        }
        if (best < 0
            || Merges.CONFLICTS.compare(p.getItems(taken[s]), pages.get(best).getItems(taken[best]))
                < 0) {
          best = s;
        }
      }
      if (best < 0) {
        break;
      }
      items.add(pages.get(best).getItems(taken[best]++));
    }
    boolean more = false;
    String[] next = new String[shards.size()];
    for (int s = 0; s < shards.size(); s++) {
      ListConflictsResponse p = pages.get(s);
      if (absent.contains(s)) {
        next[s] = state[s]; // a missing shard resumes where this page started
      } else if (p == null) {
        next[s] = "-";
      } else if (taken[s] == p.getItemsCount()) {
        next[s] = p.getNextPageToken().isEmpty() ? "-" : "+" + p.getNextPageToken();
      } else if (taken[s] == 0) {
        next[s] = state[s];
      } else {
        int n = taken[s];
        String from = state[s].substring(1);
        ListConflictsResponse cut =
            call(
                shards.get(s),
                c ->
                    c.stub(read())
                        .listConflicts(
                            request.toBuilder().setPageToken(from).setPageSize(n).build()));
        next[s] = "+" + cut.getNextPageToken();
      }
      more |= !next[s].equals("-");
    }
    int version = 0;
    for (ListConflictsResponse p : pages) {
      if (p != null) {
        version = p.getOntologyVersion();
      }
    }
    return ListConflictsResponse.newBuilder()
        .addAllItems(items)
        .setNextPageToken(more ? encode(String.join("\n", next)) : "")
        .setOntologyVersion(version)
        .addAllMissingShards(gathered.missing())
        .build();
  }

  private static String encode(String s) {
    return TOKEN_PREFIX
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String token) {
    if (!token.startsWith(TOKEN_PREFIX)) {
      throw new IllegalArgumentException("page_token: malformed");
    }
    try {
      return new String(
          Base64.getUrlDecoder().decode(token.substring(TOKEN_PREFIX.length())),
          StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("page_token: malformed");
    }
  }

  @Override
  public void listEntities(ListEntitiesRequest request, StreamObserver<ListEntitiesResponse> out) {
    readUnary(
        out,
        () -> {
          List<ListEntitiesResponse> pages = fanOut(s -> s.stub(read()).listEntities(request));
          if (single()) {
            return pages.get(0);
          }
          int size = request.getPageSize() == 0 ? 100 : request.getPageSize();
          List<EntitySummary> all = new ArrayList<>();
          boolean more = false;
          for (ListEntitiesResponse p : pages) {
            all.addAll(p.getEntitiesList());
            more |= p.getNextAfterId() != 0;
          }
          all.sort((x, y) -> Long.compareUnsigned(x.getEntityId(), y.getEntityId()));
          all = Merges.entitiesOnce(all);
          List<EntitySummary> page = all.subList(0, Math.min(size, all.size()));
          boolean hasNext = more || all.size() > size;
          return ListEntitiesResponse.newBuilder()
              .addAllEntities(page)
              .setNextAfterId(hasNext && !page.isEmpty() ? page.getLast().getEntityId() : 0)
              .setOntologyVersion(pages.get(0).getOntologyVersion())
              .build();
        });
  }

  @Override
  public void listEntityChanges(
      ListEntityChangesRequest request, StreamObserver<ListEntityChangesResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(read()).listEntityChanges(request));
          }
          throw new UnsupportedOperationException(
              "ListEntityChanges through a router with several shards is not available yet");
        });
  }

  @Override
  public void getStats(GetStatsRequest request, StreamObserver<GetStatsResponse> out) {
    readUnary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(read()).getStats(request));
          }
          Fanout.Gathered<GetStatsResponse> parts =
              fanout.gather(s -> s.stub(read()).getStats(request), request.getAllowPartial());
          GetStatsResponse.Builder sum =
              GetStatsResponse.newBuilder().addAllMissingShards(parts.missing());
          Set<Integer> counted = new HashSet<>();
          for (int i = 0; i < parts.answers().size(); i++) {
            GetStatsResponse p = parts.answers().get(i);
            if (p == null) {
              continue;
            }
            counted.add(i);
            sum.setRecords(sum.getRecords() + p.getRecords())
                .setEntities(sum.getEntities() + p.getEntities())
                .setConflicts(sum.getConflicts() + p.getConflicts())
                .setLastTx(Math.max(sum.getLastTx(), p.getLastTx()))
                .setOntologyVersion(p.getOntologyVersion());
          }
          // An entity a slot move split (until its reconciliation) is counted once, as one shard
          // holding all its records would count it.
          long duplicates = split.duplicates(counted, request.getAllowPartial());
          return sum.setEntities(Math.max(0, sum.getEntities() - duplicates)).build();
        });
  }

  @Override
  public void checkpoint(CheckpointRequest request, StreamObserver<CheckpointResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(config.writeDeadline()).checkpoint(request));
          }
          throw new UnsupportedOperationException(
              "Checkpoint through a router with several shards is not available yet");
        });
  }

  /** Fallback deadline of a shard's Export without a client deadline (`router.deadline.admin`). */
  static final Duration EXPORT_DEADLINE = Duration.ofSeconds(300);

  private static final DateTimeFormatter EXPORT_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /**
   * Shard-local export (DISTRIBUTED.md §4 "Export", `--shard-local`): every shard writes its own
   * files in parallel under one name (the router's UTC time when the request has none); the answer
   * lists every shard's files. A shard that fails or misses its deadline fails the call with
   * UNAVAILABLE naming it; a slot move switching before or during it fails it ({@link
   * ExportSwitch}).
   */
  @Override
  public void export(ExportRequest request, StreamObserver<ExportResponse> out) {
    unary(
        out,
        () -> {
          ExportRequest named =
              request.getName().isEmpty()
                  ? request.toBuilder().setName(EXPORT_STAMP.format(Instant.now())).build()
                  : request;
          ExportSwitch moves = single() ? null : ExportSwitch.begin(mapSync);
          List<ExportResponse> parts =
              fanOut(
                  s ->
                      s.stub(Fanout.perCall(EXPORT_DEADLINE, config.fanout().margin()))
                          .export(named));
          if (moves != null) {
            moves.check();
          }
          ExportResponse.Builder all = ExportResponse.newBuilder().setName(named.getName());
          for (ExportResponse p : parts) {
            all.addAllFiles(p.getFilesList())
                .addAllShards(p.getShardsList())
                .setRows(all.getRows() + p.getRows());
          }
          return all.build();
        });
  }

  /** Streams every shard's export rows in shard order (see {@link ExportRowsRelay}). */
  @Override
  public void exportRows(ExportRowsRequest request, StreamObserver<ExportRowsChunk> out) {
    ExportRowsRelay.start(shards, single() ? null : mapSync, request, out);
  }
}
