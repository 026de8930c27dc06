package io.tempora.router;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tempora.proto.internal.v1.DropHomesRequest;
import io.tempora.proto.internal.v1.ExportSlotRequest;
import io.tempora.proto.internal.v1.FinishImportRequest;
import io.tempora.proto.internal.v1.GetShardInfoResponse;
import io.tempora.proto.internal.v1.ImportSlotResponse;
import io.tempora.proto.internal.v1.MoveStatus;
import io.tempora.proto.internal.v1.RebalanceRequest;
import io.tempora.proto.internal.v1.RebalanceResponse;
import io.tempora.proto.internal.v1.SaveSlotMoveRequest;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.internal.v1.SlotChunk;
import io.tempora.proto.internal.v1.SlotEntity;
import io.tempora.proto.internal.v1.SlotMove;
import io.tempora.proto.internal.v1.SlotRange;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.GetOntologyRequest;
import io.tempora.proto.v1.GetOntologyResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.SetOntologyRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Online slot moves (docs/distributed.md "Rebalancing", docs/decisions.md D6). A move of slots S
 * from shard A to shard B: <b>copy</b> (A streams its live records by entity; the router keeps
 * those whose recorded home slot is in S and B stages them, invisible to reads), <b>catch-up</b>
 * (the entities A's change feed names since the plan are staged again, replacing what was staged
 * for them), <b>freeze</b> (no client write of this router, each waiting at most {@code
 * rebalance.max_freeze}, and no reconciliation round; the move journal finished; final catch-up;
 * A's directory rows of identities in S staged on B), <b>flip</b> (this router's client reads are
 * held from here to the end of the clean, {@link MoveFreeze#reads}; the map with S on B at epoch
 * E+1 stored on B, A, then every shard; client writes go on from here), <b>activate</b> (B ingests
 * the staged records through its engine and writes the staged directory rows; a write reaching a
 * still-staged identity activates it first, on B), <b>clean</b> (A deletes its records homed in S
 * and its directory rows of S), then the rounds go on and a reconciliation round re-groups
 * components the move split. The move row on A (phase, cursors, counts) makes every step resumable
 * by a restarted router. Moves run one at a time on one thread. Thread-safe.
 */
final class Rebalancer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Rebalancer.class);
  static final String COPY = "COPY";
  static final String FLIPPED = io.tempora.shardserver.grpc.SlotStore.FLIPPED;

  /** Entities per exported chunk. */
  private static final int CHUNK = 500;

  /** Chunks per export call (each call has its own deadline; the cursor is saved per chunk). */
  private static final int CHUNKS_PER_CALL = 40;

  /** Catch-up ends (and the freeze starts) when a pass reads fewer change events than this. */
  private static final int FREEZE_THRESHOLD = 1000;

  private static final Duration CALL_DEADLINE = Duration.ofMinutes(5);
  private static final long RETRY_MS = 2000;

  private final List<ShardClient> shards;
  private final ShardMap map;
  private final MapSync sync;
  private final Directory directory;
  private final Holds holds;
  private final MoveFreeze reads;
  private final Rounds rounds;
  private final int batch;
  private final ExecutorService runner =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "tempora-router-rebalance");
            t.setDaemon(true);
            return t;
          });
  private volatile Future<?> running;
  private volatile boolean abort;
  private volatile boolean closed;
  private volatile String lastError = "";
  private volatile String current = "";

  Rebalancer(
      List<ShardClient> shards,
      ShardMap map,
      MapSync sync,
      Directory directory,
      Holds holds,
      MoveFreeze reads,
      Rounds rounds,
      int batch) {
    this.shards = shards;
    this.map = map;
    this.sync = sync;
    this.directory = directory;
    this.holds = holds;
    this.reads = reads;
    this.rounds = rounds;
    this.batch = batch;
  }

  /** What a move holds back in this router while it switches slots. */
  interface Holds {
    /**
     * Holds this router's client writes (each at most {@code rebalance.max_freeze}), its
     * reconciliation rounds and SetOntology, once the writes in flight have ended.
     */
    Held hold();
  }

  /** What {@link Holds#hold} holds; closing releases whatever is still held. */
  interface Held extends AutoCloseable {
    /** Lets client writes go on; rounds and SetOntology stay held until {@link #close}. */
    void releaseWrites();

    @Override
    void close();
  }

  /** What a move asks of this router's reconciliation. */
  interface Rounds {
    /**
     * Finishes every pending move-journal entry (docs/distributed.md "Writes during a move") as the
     * lease holder; with {@code wait} it takes or waits for the lease as Reconcile does (up to the
     * lease ttl, within the calling RPC's deadline), otherwise only a lease held or free now will
     * do.
     *
     * @return entries finished
     * @throws io.tempora.engine.PreconditionFailedException naming the holder if another router
     *     keeps the lease
     */
    long finishMoves(boolean wait);

    /** Reconciles what the move split (taking or waiting for the lease). */
    void reconcile();
  }

  private static ShardGrpc.ShardBlockingStub stub(ShardClient s) {
    return ShardGrpc.newBlockingStub(s.channel())
        .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withMaxOutboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * At router start: adopts the shards' map, finishes flipped moves before any write is served
   * (their slots' directory rows are on the target only once activated) and resumes the others in
   * the background.
   */
  synchronized void start() {
    List<GetShardInfoResponse> infos = sync.refresh();
    List<SlotMove> moves = moves(infos);
    for (SlotMove m : moves) {
      if (flipped(m)) {
        LOG.info("resuming move {} after its flip", m.getId());
        try (Held held = holds.hold()) {
          reads.freeze();
          try {
            switchOver(m, held, System.nanoTime());
          } finally {
            reads.thaw();
          }
        }
      }
    }
    if (moves.stream().anyMatch(m -> !flipped(m))) {
      LOG.info("resuming {} slot move(s)", moves.size());
      running = runner.submit(this::runAll);
    }
  }

  /**
   * Serves the Rebalance admin call. Status and abort never wait for a planning call; a planning
   * call with {@code wait} waits outside the planning lock.
   */
  RebalanceResponse rebalance(RebalanceRequest r) {
    int actions =
        (r.getMoveCount() > 0 ? 1 : 0)
            + (r.hasAddShard() ? 1 : 0)
            + (r.getStatus() ? 1 : 0)
            + (r.getAbort() ? 1 : 0);
    if (actions != 1) {
      throw new IllegalArgumentException(
          "exactly one of move (with to), add_shard, status and abort must be given; got "
              + actions);
    }
    if (r.getStatus()) {
      Future<?> f = running;
      if (r.getWait() && f != null) {
        await(f);
      }
      return status(lastError.isEmpty() ? "" : "last error: " + lastError);
    }
    if (r.getAbort()) {
      return abortAll();
    }
    Future<?> planned;
    String message;
    synchronized (this) {
      message = plan(r);
      planned = running;
    }
    if (r.getWait() && planned != null) {
      await(planned);
      if (!lastError.isEmpty()) {
        throw Status.UNAVAILABLE
            .withDescription("rebalance stopped: " + lastError)
            .asRuntimeException();
      }
      return status("moves done");
    }
    return status(message);
  }

  /** Plans the moves of a move or add_shard request and starts running them; the message. */
  private String plan(RebalanceRequest r) {
    List<GetShardInfoResponse> infos = sync.refresh();
    for (int i = 0; i < infos.size(); i++) {
      if (infos.get(i) == null) {
        throw Status.UNAVAILABLE
            .withDescription("shard " + i + " (" + shards.get(i).address() + ") did not answer")
            .asRuntimeException();
      }
    }
    List<SlotMove> existing = moves(infos);
    if (!existing.isEmpty() || (running != null && !running.isDone())) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "a rebalance is in progress ("
                  + existing.size()
                  + " move(s)); see --status, wait for it or --abort it")
          .asRuntimeException();
    }
    Map<Integer, List<Integer>> bySource = new TreeMap<>();
    int target;
    if (r.hasAddShard()) {
      target = r.getAddShard();
      checkShard(target, "add_shard");
      int[] count = map.slotsPerShard();
      int take = ShardMap.SLOTS / shards.size() - count[target];
      // Highest slots of the fullest shard first (ties: lowest id), one slot at a time.
      int[] next = new int[shards.size()];
      for (int s = 0; s < next.length; s++) {
        next[s] = ShardMap.SLOTS - 1;
      }
      for (int k = 0; k < take; k++) {
        int fullest = -1;
        for (int s = 0; s < count.length; s++) {
          if (s != target && (fullest < 0 || count[s] > count[fullest])) {
            fullest = s;
          }
        }
        while (map.shardOfSlot(next[fullest]) != fullest) {
          next[fullest]--;
        }
        bySource.computeIfAbsent(fullest, x -> new ArrayList<>()).add(0, next[fullest]--);
        count[fullest]--;
      }
    } else {
      target = r.getTo();
      checkShard(target, "to");
      for (SlotRange range : r.getMoveList()) {
        if (range.getFirst() > range.getLast() || range.getLast() >= ShardMap.SLOTS) {
          throw new IllegalArgumentException(
              "move: range "
                  + range.getFirst()
                  + "-"
                  + range.getLast()
                  + " must be ascending within 0.."
                  + (ShardMap.SLOTS - 1));
        }
        for (int s = range.getFirst(); s <= range.getLast(); s++) {
          int owner = map.shardOfSlot(s);
          if (owner != target) {
            bySource.computeIfAbsent(owner, x -> new ArrayList<>()).add(s);
          }
        }
      }
    }
    if (bySource.isEmpty()) {
      running = null;
      return "nothing to move: shard " + target + " already owns those slots";
    }
    // A reconciliation move a dead holder left half done may have the newest write of a record on
    // its source and an older copy on its target: finished first, so that the copy phase cannot
    // carry the older one over the newer one (docs/distributed.md "Rebalancing").
    long finished = rounds.finishMoves(true);
    if (finished > 0) {
      LOG.info("finished {} journaled reconciliation move(s) before planning", finished);
    }
    syncOntology(target);
    long now = System.currentTimeMillis();
    for (var e : bySource.entrySet()) {
      int source = e.getKey();
      GetStatsResponse stats =
          Fanout.call(
              shards.get(source),
              c -> c.stub(CALL_DEADLINE).getStats(GetStatsRequest.getDefaultInstance()));
      SlotMove m =
          SlotMove.newBuilder()
              .setId(
                  "move-" + now + "-" + source + "-" + UUID.randomUUID().toString().substring(0, 8))
              .addAllSlots(ShardMap.ranges(e.getValue().stream().sorted().toList()))
              .setSource(source)
              .setTarget(target)
              .setPhase(COPY)
              .setFromTx(stats.getLastTx() + 1)
              .setTotal(stats.getRecords())
              .setStartedMs(now)
              .build();
      save(m);
      LOG.info(
          "planned move {}: {} slots from shard {} to shard {}",
          m.getId(),
          e.getValue().size(),
          source,
          target);
    }
    lastError = "";
    abort = false;
    running = runner.submit(this::runAll);
    return "planned " + bySource.size() + " move(s) to shard " + target;
  }

  /**
   * A new shard starts with the empty ontology: the target gets shard 0's document before any
   * record is activated on it (records must resolve under the cluster's ontology).
   */
  private void syncOntology(int target) {
    GetOntologyResponse want =
        Fanout.call(
            shards.get(0),
            c -> c.stub(CALL_DEADLINE).getOntology(GetOntologyRequest.getDefaultInstance()));
    GetOntologyResponse has =
        Fanout.call(
            shards.get(target),
            c -> c.stub(CALL_DEADLINE).getOntology(GetOntologyRequest.getDefaultInstance()));
    if (!has.getOntology().equals(want.getOntology())) {
      LOG.info(
          "shard {} gets the ontology of shard 0 (version {})", target, want.getOntologyVersion());
      Fanout.call(
          shards.get(target),
          c ->
              c.stub(CALL_DEADLINE)
                  .setOntology(
                      SetOntologyRequest.newBuilder().setOntology(want.getOntology()).build()));
    }
  }

  private void checkShard(int shard, String field) {
    if (shard >= shards.size()) {
      throw new IllegalArgumentException(
          field
              + ": shard "
              + shard
              + " is not listed in --shards ("
              + shards.size()
              + " shards: 0.."
              + (shards.size() - 1)
              + ")");
    }
  }

  private static void await(Future<?> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    } catch (ExecutionException e) {
      throw Status.INTERNAL.withDescription(e.getCause().toString()).asRuntimeException();
    }
  }

  private synchronized RebalanceResponse abortAll() {
    abort = true;
    if (running != null) {
      await(running);
    }
    List<SlotMove> moves = moves(sync.refresh());
    int aborted = 0;
    for (SlotMove m : moves) {
      if (flipped(m)) {
        continue; // past the point of no return: it completes
      }
      Fanout.call(
          shards.get(m.getTarget()),
          c -> stub(c).finishImport(FinishImportRequest.newBuilder().setAbort(true).build()));
      Fanout.call(
          shards.get(m.getSource()),
          c ->
              stub(c)
                  .saveSlotMove(
                      SaveSlotMoveRequest.newBuilder().setMove(m).setRemove(true).build()));
      LOG.info("aborted move {}", m.getId());
      aborted++;
    }
    abort = false;
    running = moves.size() > aborted ? runner.submit(this::runAll) : null;
    return status("aborted " + aborted + " move(s)");
  }

  private RebalanceResponse status(String message) {
    List<GetShardInfoResponse> infos = sync.refresh();
    RebalanceResponse.Builder b =
        RebalanceResponse.newBuilder().setEpoch(map.epoch()).setMessage(message);
    for (int n : map.slotsPerShard()) {
      b.addSlotsPerShard(n);
    }
    long now = System.currentTimeMillis();
    for (SlotMove m : moves(infos)) {
      double secs = Math.max(0.001, (now - m.getStartedMs()) / 1000.0);
      b.addMoves(
          MoveStatus.newBuilder()
              .setMove(m)
              .setRate(m.getCopied() / secs)
              .setRunning(m.getId().equals(current))
              .setError(lastError));
    }
    return b.build();
  }

  private static List<SlotMove> moves(List<GetShardInfoResponse> infos) {
    List<SlotMove> out = new ArrayList<>();
    for (GetShardInfoResponse i : infos) {
      if (i != null) {
        out.addAll(i.getMovesList());
      }
    }
    return out;
  }

  private boolean flipped(SlotMove m) {
    return m.getPhase().equals(FLIPPED)
        || (m.getFlipEpoch() > 0
            && map.epoch() >= m.getFlipEpoch()
            && map.owns(m.getTarget(), m.getSlotsList()));
  }

  /** Runs every stored move to completion, one at a time; retries after a failure. */
  private void runAll() {
    while (!closed && !abort) {
      try {
        List<SlotMove> moves = moves(sync.refresh());
        if (moves.isEmpty()) {
          lastError = "";
          return;
        }
        run(moves.getFirst());
        lastError = "";
      } catch (Aborted e) {
        return;
      } catch (RuntimeException e) {
        lastError = e.toString();
        LOG.warn("slot move failed; retrying in {} ms: {}", RETRY_MS, e.toString());
        try {
          Thread.sleep(RETRY_MS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      } finally {
        current = "";
      }
    }
  }

  /** Thrown inside a run when --abort asked it to stop. */
  private static final class Aborted extends RuntimeException {
    Aborted() {
      super("aborted", null, false, false);
    }
  }

  private void checkAbort() {
    if (abort || closed) {
      throw new Aborted();
    }
  }

  private void run(SlotMove start) {
    SlotMove m = start;
    current = m.getId();
    if (!flipped(m)) {
      boolean[] moving = bits(m.getSlotsList());
      while (!m.getScanned()) {
        checkAbort();
        m = scan(m, moving);
      }
      // Catch-up until the change feed is nearly drained.
      do {
        checkAbort();
        m = catchUp(m, moving);
      } while (lastEvents >= FREEZE_THRESHOLD);
      long frozeAt = System.nanoTime();
      try (Held held = holds.hold()) {
        checkAbort();
        // Again inside the freeze (no round of this router runs now), before the final catch-up
        // replays what finishing changed on the source; without the lease the move fails and is
        // retried (FAILED_PRECONDITION naming the holder in --status).
        long finished = rounds.finishMoves(false);
        if (finished > 0) {
          LOG.info("move {}: finished {} journaled reconciliation move(s)", m.getId(), finished);
        }
        do {
          m = catchUp(m, moving);
        } while (lastEvents > 0);
        stageHomes(m);
        checkAbort();
        long epoch = map.epoch() + 1;
        m = m.toBuilder().setFlipEpoch(epoch).build();
        save(m);
        // From the flip to the end of the clean a moved record is live on both shards, or its
        // directory row only staged on the target: this router's reads wait for the switch.
        reads.freeze();
        try {
          sync.flip(
              map.moved(m.getSlotsList(), m.getTarget(), epoch).toBuilder()
                  .setFlippedBy(m.getId())
                  .build(),
              m.getTarget(),
              m.getSource());
          m = m.toBuilder().setPhase(FLIPPED).build();
          save(m);
          LOG.info("move {} flipped: map epoch {}", m.getId(), epoch);
          switchOver(m, held, frozeAt);
        } finally {
          reads.thaw();
        }
      }
    } else {
      try (Held held = holds.hold()) {
        reads.freeze();
        try {
          switchOver(m, held, System.nanoTime());
        } finally {
          reads.thaw();
        }
      }
    }
    try {
      rounds.reconcile();
    } catch (RuntimeException e) {
      LOG.warn(
          "reconciliation after move {} failed (the loop retries): {}", m.getId(), e.toString());
    }
  }

  private long lastEvents;

  /** One export call of the scan: stages the kept records, saves the cursor per chunk. */
  private SlotMove scan(SlotMove m, boolean[] moving) {
    ShardClient src = shards.get(m.getSource());
    Iterator<SlotChunk> it =
        stub(src)
            .exportSlot(
                ExportSlotRequest.newBuilder()
                    .setAfterEntityId(m.getAfterEntityId())
                    .setChunk(CHUNK)
                    .setMaxChunks(CHUNKS_PER_CALL)
                    .build());
    try (ImportStream in = new ImportStream(shards.get(m.getTarget()), m.getId())) {
      while (it.hasNext()) {
        SlotChunk c = it.next();
        long examined = 0;
        for (SlotEntity e : c.getEntitiesList()) {
          examined += e.getRecordsCount();
        }
        SlotChunk kept = keep(c, moving, false);
        long staged = in.send(kept);
        m =
            m.toBuilder()
                .setAfterEntityId(c.getCursor())
                .setScanned(c.getCursor() == 0)
                .setExamined(m.getExamined() + examined)
                .setCopied(m.getCopied() + staged)
                .build();
        if (c.getCursor() == 0) {
          break;
        }
      }
      // The chunks are durable on the target before the cursor passes them.
      in.flush();
    }
    save(m);
    return m;
  }

  /** One catch-up pass over the source's change feed from the move's cursor. */
  private SlotMove catchUp(SlotMove m, boolean[] moving) {
    ShardClient src = shards.get(m.getSource());
    Iterator<SlotChunk> it =
        stub(src)
            .exportSlot(
                ExportSlotRequest.newBuilder()
                    .setFromTx(m.getFromTx())
                    .setChunk(CHUNK)
                    .setMaxChunks(CHUNKS_PER_CALL)
                    .build());
    long events = 0;
    try (ImportStream in = new ImportStream(shards.get(m.getTarget()), m.getId())) {
      while (it.hasNext()) {
        SlotChunk c = it.next();
        events += c.getEvents();
        long staged = in.send(keep(c, moving, true));
        m = m.toBuilder().setFromTx(c.getCursor()).setCopied(m.getCopied() + staged).build();
      }
      in.flush();
    }
    save(m);
    lastEvents = events;
    return m;
  }

  /** Stages the source's directory rows of the moving slots on the target. */
  private void stageHomes(SlotMove m) {
    Iterator<SlotChunk> it =
        stub(shards.get(m.getSource()))
            .exportSlot(
                ExportSlotRequest.newBuilder()
                    .setHomes(true)
                    .addAllSlots(m.getSlotsList())
                    .build());
    try (ImportStream in = new ImportStream(shards.get(m.getTarget()), m.getId())) {
      while (it.hasNext()) {
        in.send(it.next());
      }
      in.flush();
    }
  }

  /**
   * The records of a chunk whose recorded home slot is moving; with {@code all}, every entity is
   * kept (possibly empty) so that what was staged for it is replaced.
   */
  private SlotChunk keep(SlotChunk c, boolean[] moving, boolean all) {
    List<Identity> ids = new ArrayList<>();
    for (SlotEntity e : c.getEntitiesList()) {
      for (Record r : e.getRecordsList()) {
        ids.add(r.getIdentity());
      }
    }
    int[] homes = ids.isEmpty() ? new int[0] : directory.lookup(ids);
    SlotChunk.Builder out = SlotChunk.newBuilder();
    int k = 0;
    for (SlotEntity e : c.getEntitiesList()) {
      SlotEntity.Builder kept = SlotEntity.newBuilder().setEntityId(e.getEntityId());
      for (Record r : e.getRecordsList()) {
        int h = homes[k++];
        if (h >= 0 && moving[h]) {
          kept.addRecords(r);
        }
      }
      if (all || kept.getRecordsCount() > 0) {
        out.addEntities(kept);
      }
    }
    return out.build();
  }

  /**
   * After the flip: client writes go on (the map sends the moved slots' writes to the target, which
   * activates a still-staged identity a write names before applying it, {@code
   * StagedWriteActivator}, so the write is answered as for the moved record and the activation
   * leaves it as written); the target activates the rest of what it staged, then the source is
   * cleaned. Rounds stay held until the end. Each step is retried until it succeeds.
   */
  private void switchOver(SlotMove m, Held held, long frozeAt) {
    held.releaseWrites();
    LOG.info(
        "move {}: writes were held {} ms; activating on the target",
        m.getId(),
        (System.nanoTime() - frozeAt) / 1_000_000);
    retrying(m, "activating", () -> activate(m));
    retrying(m, "cleaning", () -> clean(m));
  }

  private void retrying(SlotMove m, String step, Runnable action) {
    while (true) {
      try {
        action.run();
        return;
      } catch (RuntimeException e) {
        if (closed) {
          throw e;
        }
        lastError = e.toString();
        LOG.warn(
            "{} flipped move {} failed; retrying in {} ms: {}",
            step,
            m.getId(),
            RETRY_MS,
            e.toString());
        try {
          Thread.sleep(RETRY_MS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * After the flip: the target activates what it staged (its staged records and directory rows;
   * nothing when already done or activated by writes).
   */
  private void activate(SlotMove m) {
    sync.refresh();
    if (!map.owns(m.getTarget(), m.getSlotsList())) {
      // The flip reached some shard but not this router's refresh: store it again.
      long epoch = Math.max(m.getFlipEpoch(), map.epoch() + 1);
      sync.flip(
          map.moved(m.getSlotsList(), m.getTarget(), epoch).toBuilder()
              .setFlippedBy(m.getId())
              .build(),
          m.getTarget(),
          m.getSource());
    }
    var activated =
        Fanout.call(
            shards.get(m.getTarget()),
            c -> stub(c).finishImport(FinishImportRequest.newBuilder().setBatch(batch).build()));
    LOG.info(
        "move {}: {} records and {} directory rows activated on shard {}",
        m.getId(),
        activated.getRecords(),
        activated.getHomes(),
        m.getTarget());
  }

  /**
   * After the activation: the source deletes its records homed in the moved slots (no client write
   * creates one there any more: the map sends them to the target) and its directory rows of them;
   * the move row goes.
   */
  private void clean(SlotMove m) {
    boolean[] moving = bits(m.getSlotsList());
    ShardClient src = shards.get(m.getSource());
    long after = 0;
    long deleted = 0;
    do {
      Iterator<SlotChunk> it =
          stub(src)
              .exportSlot(
                  ExportSlotRequest.newBuilder()
                      .setAfterEntityId(after)
                      .setChunk(CHUNK)
                      .setMaxChunks(CHUNKS_PER_CALL)
                      .build());
      after = 0;
      List<Identity> drop = new ArrayList<>();
      while (it.hasNext()) {
        SlotChunk c = it.next();
        for (SlotEntity e : keep(c, moving, false).getEntitiesList()) {
          for (Record r : e.getRecordsList()) {
            drop.add(r.getIdentity());
          }
        }
        after = c.getCursor();
      }
      for (int from = 0; from < drop.size(); from += batch) {
        DeleteRequest d =
            DeleteRequest.newBuilder()
                .addAllIdentities(drop.subList(from, Math.min(drop.size(), from + batch)))
                .build();
        Fanout.call(src, c -> c.stub(CALL_DEADLINE).delete(d));
      }
      deleted += drop.size();
    } while (after != 0);
    Fanout.call(
        src,
        c ->
            stub(c).dropHomes(DropHomesRequest.newBuilder().addAllSlots(m.getSlotsList()).build()));
    Fanout.call(
        src,
        c ->
            stub(c)
                .saveSlotMove(SaveSlotMoveRequest.newBuilder().setMove(m).setRemove(true).build()));
    LOG.info("move {} finished: {} records deleted on shard {}", m.getId(), deleted, m.getSource());
  }

  private void save(SlotMove m) {
    Fanout.call(
        shards.get(m.getSource()),
        c -> stub(c).saveSlotMove(SaveSlotMoveRequest.newBuilder().setMove(m).build()));
  }

  private static boolean[] bits(List<SlotRange> ranges) {
    boolean[] out = new boolean[ShardMap.SLOTS];
    for (SlotRange r : ranges) {
      java.util.Arrays.fill(out, r.getFirst(), r.getLast() + 1, true);
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    runner.shutdownNow();
  }

  /**
   * A client stream of ImportSlot with flow control: {@link #send} waits while the stream is not
   * ready, so at most gRPC's window of chunks is buffered.
   */
  private static final class ImportStream implements AutoCloseable {
    private final ShardClient target;
    private final String move;
    private final Object ready = new Object();
    private CompletableFuture<ImportSlotResponse> done;
    private ClientCallStreamObserver<SlotChunk> requests;
    private long sent;

    ImportStream(ShardClient target, String move) {
      this.target = target;
      this.move = move;
    }

    private void open() {
      done = new CompletableFuture<>();
      CompletableFuture<ImportSlotResponse> d = done;
      ShardGrpc.newStub(target.channel())
          .withMaxOutboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
          .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .importSlot(
              new ClientResponseObserver<SlotChunk, ImportSlotResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<SlotChunk> r) {
                  requests = r;
                  r.setOnReadyHandler(
                      () -> {
                        synchronized (ready) {
                          ready.notifyAll();
                        }
                      });
                }

                @Override
                public void onNext(ImportSlotResponse value) {
                  d.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                  d.completeExceptionally(t);
                  synchronized (ready) {
                    ready.notifyAll();
                  }
                }

                @Override
                public void onCompleted() {
                  d.complete(ImportSlotResponse.getDefaultInstance());
                }
              });
    }

    /** Sends one chunk; returns its record count. */
    long send(SlotChunk c) {
      if (done == null) {
        open();
      }
      synchronized (ready) {
        while (!requests.isReady() && !done.isDone()) {
          try {
            ready.wait(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
          }
        }
      }
      if (done.isDone()) {
        result();
      }
      requests.onNext(c.toBuilder().setMoveId(move).build());
      sent++;
      long n = 0;
      for (SlotEntity e : c.getEntitiesList()) {
        n += e.getRecordsCount();
      }
      return n;
    }

    /** Ends the stream and waits until the target stored every chunk sent. */
    void flush() {
      if (done == null) {
        return;
      }
      requests.onCompleted();
      ImportSlotResponse r = result();
      if (r.getChunks() != sent) {
        throw Status.INTERNAL
            .withDescription(
                "shard " + target.id() + " stored " + r.getChunks() + " of " + sent + " chunks")
            .asRuntimeException();
      }
      done = null;
      sent = 0;
    }

    private ImportSlotResponse result() {
      try {
        return done.get(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
      } catch (TimeoutException e) {
        throw Status.DEADLINE_EXCEEDED.withDescription("import stream").asRuntimeException();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof StatusRuntimeException s
            ? target.failure(s)
            : new IllegalStateException(e.getCause());
      }
    }

    @Override
    public void close() {
      if (done != null && !done.isDone()) {
        requests.cancel("abandoned", null);
      }
    }
  }
}
