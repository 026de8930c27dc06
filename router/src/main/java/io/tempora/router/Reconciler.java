package io.tempora.router;

import io.tempora.proto.internal.v1.ChangedRecordsRequest;
import io.tempora.proto.internal.v1.ChangedRecordsResponse;
import io.tempora.proto.internal.v1.FindRecordsRequest;
import io.tempora.proto.internal.v1.FindRecordsResponse;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsResponse;
import io.tempora.proto.internal.v1.MoveCopyResponse;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Record;
import io.tempora.shardserver.grpc.ShardInternalGrpcService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciliation by co-location (docs/distributed.md): finds interaction components (records
 * sharing a {@link Signatures signature}) that span shards and moves the records of the smaller
 * sides to the shard holding most of the component (ties → lowest id): a copy on the target with
 * the same content (marked carry-over pending), the move journaled on the source, compare-and-set
 * of the directory, carry-over of late source writes, delete on the source. A live copy outside its
 * recorded home (a crash between those steps) is deleted.
 *
 * <p>A round is incremental (DISTRIBUTED.md DS-1): it reads each shard's change feed (the engine's
 * entity events) from its cursor, takes the live records of the entities they name, and follows
 * their signatures through the shards' value postings to closure, so it reads the changed records
 * plus the components they touch. A full round reads every live record instead: when no cursor was
 * {@link #adopt adopted} (a shard never acknowledged one), after an ontology change, and on
 * request. Only the lease holder calls it, inside its epoch ({@link ReconcileLoop}); rounds exclude
 * each other and SetOntology (the router's lock) but not client writes, of any router: {@link
 * HomeRecheck} and {@link SourceRecheck} make a write racing a move safe. Thread-safe.
 */
final class Reconciler {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  private static final int MAX_INCREMENTAL_ROUNDS = 10_000;
  private static final int FIND_VALUES = 5_000;
  private static final int LIST_PAGE = 1000;

  private final List<ShardClient> shards;
  private final ShardMap map;
  private final Directory directory;
  private final Fanout fanout;
  private final ReadWriteLock lock;

  /**
   * Taken before {@code lock} by rounds and journal finishing: a slot move keeps holding it, after
   * it let client writes go on, until its clean has ended (docs/distributed.md "Rebalancing").
   */
  private final ReentrantLock roundGate = new ReentrantLock();

  private final Supplier<Signatures> signatures;
  private final int batch;
  private final Duration deadline;
  private final long[] cursor;
  private final int feedEvents;
  private final PendingMoves journal;
  private volatile MoveHook hook = MoveHook.NONE;
  private boolean fullNeeded = true;

  Reconciler(
      List<ShardClient> shards,
      ShardMap map,
      Directory directory,
      Fanout fanout,
      ReadWriteLock lock,
      Supplier<Signatures> signatures,
      int batch,
      int feedEvents,
      Duration deadline) {
    this.shards = shards;
    this.map = map;
    this.directory = directory;
    this.fanout = fanout;
    this.lock = lock;
    this.signatures = signatures;
    this.batch = batch;
    this.deadline = deadline;
    this.cursor = new long[shards.size()];
    this.feedEvents = feedEvents;
    this.journal = new PendingMoves(shards, map, directory, fanout, deadline, this::delete);
  }

  /** Installs a test seam at the points where a round or a move may die ({@link MoveHook}). */
  void moveHook(MoveHook hook) {
    this.hook = hook;
  }

  /** The test seam ({@link MoveHook#NONE} outside tests). */
  MoveHook moveHook() {
    return hook;
  }

  /**
   * Continues from cursors read from the shards (a new lease holder): the next round is incremental
   * from there.
   */
  void adopt(long[] cursors) {
    lock.writeLock().lock();
    try {
      System.arraycopy(cursors, 0, cursor, 0, cursor.length);
      fullNeeded = false;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** The change-feed cursors reached (one per shard: every transaction below is reconciled). */
  long[] cursors() {
    lock.readLock().lock();
    try {
      return cursor.clone();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The next round is a full pass (after an ontology change: every signature may differ). */
  void requireFull() {
    lock.writeLock().lock();
    try {
      fullNeeded = true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Reconciles every change present at call time (DISTRIBUTED.md DS-4): {@code heads} are the
   * shards' change-feed heads read when the call started (ChangeFeedState, before any record is
   * read). Incremental rounds run until every cursor has reached its head; a full pass (when asked
   * or needed) reads every live record once and then stands for everything below the heads. Changes
   * after the heads, client writes made meanwhile (rounds do not hold writes back) and this call's
   * own moves among them, are left to the next call: running until the feeds are empty would never
   * end while clients keep writing.
   */
  ReconcileResponse reconcile(boolean full, long[] heads) {
    if (heads.length != shards.size()) {
      throw new IllegalArgumentException(
          "heads: " + heads.length + " given for " + shards.size() + " shards");
    }
    roundGate.lock();
    lock.writeLock().lock();
    try {
      // Moves left unfinished (a former holder died, or a round of this one failed) first: until
      // they are, a source copy outside its recorded home may hold the newest write.
      long finished = journal.finishAll(hook);
      ReconcileResponse r = rounds(full, heads);
      hook.at(MoveHook.Point.ROUND_DONE, List.of());
      return r.toBuilder().setJournalFinished(finished).build();
    } finally {
      lock.writeLock().unlock();
      roundGate.unlock();
    }
  }

  /**
   * Finishes the journaled moves left unfinished (for a slot move, which must not copy an older
   * target copy over a source's newer write), in the lease epoch of the calling context; excludes
   * rounds (the lock is reentrant: a slot move's freeze already holds it).
   *
   * @return entries finished
   */
  long finishJournal() {
    roundGate.lock();
    lock.writeLock().lock();
    try {
      return journal.finishAll(hook);
    } finally {
      lock.writeLock().unlock();
      roundGate.unlock();
    }
  }

  /**
   * The gate rounds and journal finishing pass before they take the router's lock (reentrant): held
   * by a slot move from its freeze to the end of its clean, and by SetOntology.
   */
  Lock roundGate() {
    return roundGate;
  }

  private ReconcileResponse rounds(boolean full, long[] heads) {
    if (full || fullNeeded) {
      ReconcileResponse r = fullPass();
      for (int s = 0; s < heads.length; s++) {
        cursor[s] = Math.max(cursor[s], heads[s]);
      }
      fullNeeded = false;
      return r.toBuilder().setFull(true).build();
    }
    try {
      return incremental(heads);
    } catch (io.grpc.StatusRuntimeException e) {
      String d = e.getStatus().getDescription();
      if (e.getStatus().getCode() != io.grpc.Status.Code.FAILED_PRECONDITION
          || d == null
          || !(d.contains("removed by retention")
              || d.endsWith(ShardInternalGrpcService.FULL_ROUND))) {
        throw e;
      }
      // A shard's event retention removed changes this router had not read yet, or one
      // transaction changed more records than a change-feed answer holds: only a full round
      // covers them (docs/storage.md "Event retention", docs/distributed.md).
      LOG.warn("change feed cannot be read incrementally ({}); running a full round", d);
      fullNeeded = true;
      return rounds(true, heads);
    }
  }

  private ReconcileResponse incremental(long[] heads) {
    ReconcileResponse.Builder total = ReconcileResponse.newBuilder();
    Signatures sigs = signatures.get();
    for (int r = 0; r < MAX_INCREMENTAL_ROUNDS && !reached(heads); r++) {
      Feed feed = pull();
      ReconcileResponse round =
          feed.seeds().isEmpty()
              ? ReconcileResponse.getDefaultInstance()
              : closeAndMove(feed, sigs);
      // Acknowledge only after the moves: a failure above leaves the cursors, and the next round
      // reads the same changes again (every step is idempotent).
      System.arraycopy(feed.next(), 0, cursor, 0, cursor.length);
      total
          .setRounds(r + 1)
          .setChanges(total.getChanges() + feed.events())
          .setRecords(total.getRecords() + round.getRecords())
          .setComponents(total.getComponents() + round.getComponents())
          .setCrossShardComponents(
              total.getCrossShardComponents() + round.getCrossShardComponents())
          .setMoved(total.getMoved() + round.getMoved())
          .setStaleCopiesRemoved(total.getStaleCopiesRemoved() + round.getStaleCopiesRemoved());
    }
    if (total.getMoved() > 0 || total.getStaleCopiesRemoved() > 0) {
      LOG.info(
          "reconciled incrementally: {} changes, {} records read, {} moved, {} stale copies"
              + " removed",
          total.getChanges(),
          total.getRecords(),
          total.getMoved(),
          total.getStaleCopiesRemoved());
    }
    return total.build();
  }

  /** Whether every cursor has reached the given heads. */
  private boolean reached(long[] heads) {
    for (int s = 0; s < heads.length; s++) {
      if (cursor[s] < heads[s]) {
        return false;
      }
    }
    return true;
  }

  /**
   * What the change feeds gave: changed live records with their shard and the entity each is in
   * there, and the next cursors.
   */
  private record Feed(
      List<Record> seeds, List<Integer> where, List<Long> entities, long[] next, long events) {}

  private Feed pull() {
    List<ChangedRecordsResponse> answers =
        fanout.all(
            s ->
                internal(s)
                    .changedRecords(
                        ChangedRecordsRequest.newBuilder()
                            .setFromTx(cursor[s.id()])
                            .setLimit(feedEvents)
                            .build()));
    List<Record> seeds = new ArrayList<>();
    List<Integer> where = new ArrayList<>();
    List<Long> entities = new ArrayList<>();
    long[] next = new long[shards.size()];
    long events = 0;
    for (int s = 0; s < answers.size(); s++) {
      ChangedRecordsResponse a = answers.get(s);
      for (int i = 0; i < a.getRecordsCount(); i++) {
        seeds.add(a.getRecords(i));
        where.add(s);
        entities.add(entityAt(a.getEntityIdsList(), i));
      }
      next[s] = a.getNextFromTx();
      events += a.getEvents();
    }
    return new Feed(seeds, where, entities, next, events);
  }

  /** The entity id at position {@code i} of a shard's answer; 0 (none) if it gave none. */
  private static long entityAt(List<Long> entityIds, int i) {
    return i < entityIds.size() ? entityIds.get(i) : 0;
  }

  private ShardGrpc.ShardBlockingStub internal(ShardClient s) {
    return ShardGrpc.newBlockingStub(s.channel())
        .withInterceptors(LeaseEpoch.ATTACH)
        .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The closure of the changed records under shared signatures, over every shard (each signature
   * followed once, through its probe value), then the moves of a full round over that set.
   */
  private ReconcileResponse closeAndMove(Feed feed, Signatures sigs) {
    Read read = new Read();
    Set<Located> held = new HashSet<>();
    Set<String> followed = new HashSet<>();
    Map<String, AttrValue> pending = new LinkedHashMap<>();
    for (int i = 0; i < feed.seeds().size(); i++) {
      add(
          feed.seeds().get(i),
          feed.where().get(i),
          feed.entities().get(i),
          read,
          held,
          followed,
          pending,
          sigs);
    }
    while (!pending.isEmpty()) {
      Map<String, AttrValue> batch = new LinkedHashMap<>();
      var it = pending.entrySet().iterator();
      while (it.hasNext() && batch.size() < FIND_VALUES) {
        var e = it.next();
        batch.put(e.getKey(), e.getValue());
        it.remove();
      }
      followed.addAll(batch.keySet());
      FindRecordsRequest find =
          FindRecordsRequest.newBuilder().addAllValues(new LinkedHashSet<>(batch.values())).build();
      List<FindRecordsResponse> found = fanout.all(s -> internal(s).findRecords(find));
      for (int s = 0; s < found.size(); s++) {
        FindRecordsResponse f = found.get(s);
        for (int i = 0; i < f.getRecordsCount(); i++) {
          Record r = f.getRecords(i);
          if (sharesAny(sigs.of(r), batch.keySet())) {
            add(r, s, entityAt(f.getEntityIdsList(), i), read, held, followed, pending, sigs);
          }
        }
      }
    }
    return process(read, sigs);
  }

  /**
   * Live record copies a round read, in parallel lists: the record (identity and descriptors), its
   * shard, and the entity it was in there when read (0: unknown), which a move names as its former
   * entity so that an entity moved whole keeps its id (docs/decisions.md D3).
   */
  private static final class Read {
    final List<Record> records = new ArrayList<>();
    final List<Integer> where = new ArrayList<>();
    final List<Long> entities = new ArrayList<>();

    void add(Record r, int shard, long entity) {
      records.add(r);
      where.add(shard);
      entities.add(entity);
    }
  }

  /** A record copy: its shard and identity. */
  private record Located(int shard, Identity identity) {}

  private static boolean sharesAny(List<String> of, Set<String> batch) {
    for (String sig : of) {
      if (batch.contains(sig)) {
        return true;
      }
    }
    return false;
  }

  private static void add(
      Record r,
      int shard,
      long entity,
      Read read,
      Set<Located> held,
      Set<String> followed,
      Map<String, AttrValue> pending,
      Signatures sigs) {
    if (!held.add(new Located(shard, r.getIdentity()))) {
      return;
    }
    read.add(r, shard, entity);
    sigs.probes(r)
        .forEach(
            (sig, probe) -> {
              if (!followed.contains(sig)) {
                pending.putIfAbsent(sig, probe);
              }
            });
  }

  /**
   * One round over every live record of every shard: every change below heads read before it is
   * covered (the closure of everything is everything). A second pass would only find the work of
   * writes made meanwhile, which the change feed gives the next round anyway.
   */
  private ReconcileResponse fullPass() {
    ReconcileResponse round = round(signatures.get());
    if (round.getMoved() > 0 || round.getStaleCopiesRemoved() > 0) {
      LOG.info(
          "reconciled fully: {} records read, {} moved, {} stale copies removed",
          round.getRecords(),
          round.getMoved(),
          round.getStaleCopiesRemoved());
    }
    return round.toBuilder().setRounds(1).build();
  }

  private ListLiveRecordsResponse listAll(ShardClient s) {
    ListLiveRecordsResponse.Builder out = ListLiveRecordsResponse.newBuilder();
    long after = 0;
    do {
      long from = after;
      ListLiveRecordsResponse page =
          internal(s)
              .listLiveRecords(
                  ListLiveRecordsRequest.newBuilder()
                      .setAfterEntityId(from)
                      .setPageSize(LIST_PAGE)
                      .build());
      for (int i = 0; i < page.getRecordsCount(); i++) {
        out.addRecords(page.getRecords(i)).addEntityIds(entityAt(page.getEntityIdsList(), i));
      }
      after = page.getNextAfterEntityId();
    } while (after != 0);
    return out.build();
  }

  private ReconcileResponse round(Signatures sigs) {
    List<ListLiveRecordsResponse> perShard = fanout.all(this::listAll);
    Read read = new Read();
    for (int s = 0; s < perShard.size(); s++) {
      ListLiveRecordsResponse all = perShard.get(s);
      for (int i = 0; i < all.getRecordsCount(); i++) {
        read.add(all.getRecords(i), s, all.getEntityIds(i));
      }
    }
    return process(read, sigs);
  }

  /**
   * One round's work over a set of live records closed under shared signatures (every record of the
   * shards, or the closure of the changed ones): stale copies removed, components spanning shards
   * moved to their majority shard.
   */
  private ReconcileResponse process(Read read, Signatures sigs) {
    List<Record> records = read.records;
    List<Integer> where = read.where;
    List<Identity> ids = records.stream().map(Record::getIdentity).toList();
    int[] proposed = new int[ids.size()];
    for (int i = 0; i < proposed.length; i++) {
      proposed[i] = map.firstSlot(where.get(i)); // only claimed for rows missing altogether
    }
    int[] homes = directory.resolve(ids, proposed);

    // Stale copies: live outside the recorded home.
    Map<Integer, List<Identity>> stale = new TreeMap<>();
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      if (map.shardOfSlot(homes[i]) != where.get(i)) {
        stale.computeIfAbsent(where.get(i), k -> new ArrayList<>()).add(ids.get(i));
      } else {
        live.add(i);
      }
    }
    long staleCount = 0;
    for (var e : stale.entrySet()) {
      delete(e.getKey(), e.getValue());
      staleCount += e.getValue().size();
    }

    // Interaction components over the live home copies.
    int[] parent = new int[records.size()];
    for (int i = 0; i < parent.length; i++) {
      parent[i] = i;
    }
    Map<String, Integer> first = new HashMap<>();
    for (int i : live) {
      for (String sig : sigs.of(records.get(i))) {
        Integer j = first.putIfAbsent(sig, i);
        if (j != null) {
          union(parent, i, j);
        }
      }
    }
    Map<Integer, List<Integer>> components = new HashMap<>();
    for (int i : live) {
      components.computeIfAbsent(find(parent, i), k -> new ArrayList<>()).add(i);
    }
    // Moves grouped by (source, target).
    Map<Long, List<Integer>> moves = new TreeMap<>();
    long[] pairOf = new long[records.size()];
    java.util.Arrays.fill(pairOf, -1);
    long cross = 0;
    for (List<Integer> members : components.values()) {
      int[] count = new int[shards.size()];
      for (int i : members) {
        count[where.get(i)]++;
      }
      int target = 0;
      int spanned = 0;
      for (int s = 0; s < count.length; s++) {
        if (count[s] > 0) {
          spanned++;
        }
        if (count[s] > count[target]) {
          target = s;
        }
      }
      if (spanned < 2) {
        continue;
      }
      cross++;
      for (int i : members) {
        if (where.get(i) != target) {
          pairOf[i] = (long) where.get(i) << 32 | target;
          moves.computeIfAbsent(pairOf[i], k -> new ArrayList<>()).add(i);
        }
      }
    }
    // The batches of different (source, target) pairs move disjoint identities: in parallel, so
    // a round's sequence of shard calls does not grow with the number of pairs (each step may
    // wait behind client writes on its shard).
    long[] former = formerIds(read.entities, pairOf);
    List<Supplier<Long>> pairs = new ArrayList<>();
    for (var e : moves.entrySet()) {
      int source = (int) (e.getKey() >>> 32);
      int target = (int) (long) e.getKey();
      pairs.add(() -> move(source, target, e.getValue(), read, former, homes));
    }
    long moved = 0;
    for (long n : pairs.isEmpty() ? List.<Long>of() : fanout.each(pairs)) {
      moved += n;
    }
    return ReconcileResponse.newBuilder()
        .setRecords(records.size())
        .setComponents(components.size())
        .setCrossShardComponents(cross)
        .setMoved(moved)
        .setStaleCopiesRemoved(staleCount)
        .build();
  }

  /**
   * Per record read, the entity id a move of it may give back to its entity on the target (0:
   * none): the id {@code P} it was in when read, if every record read in {@code P} moves, all from
   * one source to one target ({@code pairOf}: the record's (source, target), -1 when it stays). So
   * no two batches of a round can give {@code P} to two entities; that the source holds no live
   * {@code P} any more is checked after its delete ({@link PendingMoves#rename}).
   */
  static long[] formerIds(List<Long> entityOf, long[] pairOf) {
    Map<Long, Long> pairOfEntity = new HashMap<>();
    Set<Long> shared = new HashSet<>();
    for (int i = 0; i < pairOf.length; i++) {
      long p = entityOf.get(i);
      if (p == 0) {
        continue;
      }
      Long before = pairOfEntity.putIfAbsent(p, pairOf[i]);
      if (pairOf[i] == -1 || before != null && before != pairOf[i]) {
        shared.add(p);
      }
    }
    long[] out = new long[pairOf.length];
    for (int i = 0; i < out.length; i++) {
      long p = entityOf.get(i);
      out[i] = shared.contains(p) ? 0 : p;
    }
    return out;
  }

  /**
   * Copy on the target, journal, CAS the directory, carry over, delete on the source, give a moved
   * entity its former id back ({@link PendingMoves#rename}); returns records moved. The records go
   * in batches of at most {@code batch}, grouped by the entity they were in on the source and cut
   * on entity boundaries (an entity larger than a batch is cut where it must), so that an entity
   * moved whole forms one entity of the copy's transaction on the target.
   */
  private long move(
      int source, int target, List<Integer> which, Read read, long[] former, int[] homes) {
    List<Record> records = read.records;
    long moved = 0;
    for (List<Integer> chunk : byEntity(which, read.entities, batch)) {
      List<Record> copies = new ArrayList<>();
      int[] fromSlots = new int[chunk.size()];
      for (int k = 0; k < chunk.size(); k++) {
        copies.add(records.get(chunk.get(k)));
        fromSlots[k] = homes[chunk.get(k)];
      }
      List<Identity> ids = copies.stream().map(Record::getIdentity).toList();
      int newSlot = map.firstSlot(target);
      // Journaled on the source before the CAS: if this router dies before the carry-over, the
      // next round (by any router) still knows the source copy may be newer than the target's.
      var made = journal.entry(target, copies, fromSlots, newSlot);
      // The copies are marked carry-over pending on the target with the entry's name: a client
      // write there clears the mark, so the carry-over never overwrites it (SourceRecheck).
      List<MoveCopyResponse> answers = new ArrayList<>();
      hook.step(MoveHook.Point.TARGET_INGESTED, ids, () -> answers.add(journal.copy(target, made)));
      long[] formerOf = new long[chunk.size()];
      for (int k = 0; k < chunk.size(); k++) {
        formerOf[k] = former[chunk.get(k)];
      }
      // The entry names the entity the copy created for a moved entity and its former id.
      var entry = PendingMoves.withRenames(made, formerOf, answers);
      hook.step(MoveHook.Point.BEFORE_CAS, ids, () -> journal.open(source, entry));
      List<Identity> done = new ArrayList<>();
      List<Record> copied = new ArrayList<>();
      hook.step(
          MoveHook.Point.AFTER_CAS,
          done,
          () -> {
            done.clear();
            copied.clear();
            // One SetHomes call per directory shard, in parallel (one call per identity made a
            // round's moves take a round trip and a synced write each, in sequence).
            int[] now = directory.moveAll(ids, fromSlots, newSlot);
            for (int k = 0; k < chunk.size(); k++) {
              if (now[k] == newSlot) {
                done.add(ids.get(k));
                copied.add(copies.get(k));
              }
              // Otherwise another writer changed the home: the target copy is stale and the next
              // round removes it.
            }
          });
      // A client write that reached the source after this round read it and before the CAS would
      // be lost with the source copy: carry the source's current state over first (see
      // SourceRecheck; writes after the CAS are resent by their router).
      hook.step(
          MoveHook.Point.CARRIED_OVER,
          done,
          () ->
              SourceRecheck.carryOver(
                  shards.get(source), shards.get(target), copied, ids, deadline));
      hook.step(MoveHook.Point.MARKED_CARRIED, done, () -> journal.carried(source, entry));
      hook.step(
          MoveHook.Point.SOURCE_DELETED,
          done,
          () -> {
            delete(source, done);
            // Only now, and only if the source answers the former id DELETED (no record joined
            // that entity there since the read), does the moved entity take it back.
            journal.rename(source, entry, done);
          });
      hook.step(MoveHook.Point.MOVED, done, () -> journal.remove(source, entry));
      moved += done.size();
    }
    return moved;
  }

  /**
   * The positions {@code which} cut into batches of at most {@code max}: grouped by entity (in the
   * order each entity first appears), a batch ending where an entity ends unless one entity alone
   * holds more than {@code max} records.
   */
  static List<List<Integer>> byEntity(List<Integer> which, List<Long> entityOf, int max) {
    Map<Long, List<Integer>> groups = new LinkedHashMap<>();
    for (int i : which) {
      groups.computeIfAbsent(entityOf.get(i), k -> new ArrayList<>()).add(i);
    }
    List<List<Integer>> out = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    for (List<Integer> g : groups.values()) {
      if (!current.isEmpty() && current.size() + g.size() > max) {
        out.add(current);
        current = new ArrayList<>();
      }
      for (int i : g) {
        if (current.size() == max) {
          out.add(current);
          current = new ArrayList<>();
        }
        current.add(i);
      }
    }
    if (!current.isEmpty()) {
      out.add(current);
    }
    return out;
  }

  private void delete(int shard, List<Identity> ids) {
    for (int from = 0; from < ids.size(); from += batch) {
      DeleteRequest.Builder d = DeleteRequest.newBuilder();
      d.addAllIdentities(ids.subList(from, Math.min(ids.size(), from + batch)));
      Fanout.call(shards.get(shard), c -> c.stub(deadline).delete(d.build()));
    }
  }

  private static int find(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  private static void union(int[] parent, int a, int b) {
    int ra = find(parent, a);
    int rb = find(parent, b);
    if (ra != rb) {
      parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
  }
}
