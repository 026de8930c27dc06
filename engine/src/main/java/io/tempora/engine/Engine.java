package io.tempora.engine;

import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.Ids;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.model.RecordVersion.ChangeKind;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.OntologyValidator;
import io.tempora.engine.resolve.Change;
import io.tempora.engine.resolve.Resolver;
import io.tempora.engine.resolve.SwitchJob;
import io.tempora.engine.store.Commit;
import io.tempora.engine.store.Store;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreMeta.ResolutionJob;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import io.tempora.engine.write.RequestValidator;
import io.tempora.engine.write.WriteHook;
import io.tempora.engine.write.WriteResult;
import io.tempora.engine.write.WriteResult.Item;
import io.tempora.engine.write.WriteResult.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's resolution engine: applies upserts, deletes and ontology switches as atomic
 * transactions on a {@link Store} and answers reads through {@link #reader()}. Writes are
 * serialised; reads run concurrently on store views. Thread-safe. The caller owns the store.
 */
public final class Engine {
  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

  private final Store store;
  private final EngineConfig config;
  private final RequestValidator validator;
  private final Reader reader;

  /**
   * Serialises writes. A lock that parks waiters rather than a monitor: with many writers on few
   * cores, monitor spinning burnt about half the CPU of a 16-writer ingest (docs/BENCHMARKS.md).
   */
  private final ReentrantLock writeLock = new ReentrantLock();

  // The ontology switch in progress (its latest spill), for ontology(); null when none runs.
  private volatile ResolutionJob runningJob;

  // A switch failed after a spill: its pieces are in the store; the next write finishes it first.
  private boolean switchUnfinished;

  /**
   * An engine on {@code store}. If the store holds an interrupted ontology switch (its meta names a
   * job {@code RUNNING}: the process stopped after the switch had spilled), the switch is finished
   * here, before the engine serves anything (docs/storage.md, "Ontology switch").
   */
  public Engine(Store store, EngineConfig config) {
    this.store = store;
    this.config = config;
    this.validator = new RequestValidator(config.limits());
    this.reader = new Reader(store);
    // Requests waiting for the write lock will commit soon: a group commit may wait for them.
    store.writersQueued(writeLock::getQueueLength);
    serialised(
        () -> {
          finishSwitch(false);
          return null;
        });
  }

  /** The configuration. */
  public EngineConfig config() {
    return config;
  }

  /** The read side. */
  public Reader reader() {
    return reader;
  }

  /**
   * Upserts records (DOMAIN.md §2.4); a rejected request changes nothing. Returns once the change
   * is durable as the store's durability mode defines.
   */
  public WriteResult upsert(List<RecordInput> records) {
    return upsert(records, WriteHook.NONE);
  }

  /**
   * As {@link #upsert(List)}, with {@code hook} told under the write lock once the write is applied
   * (UNCHANGED items included: a write that changes nothing still calls it).
   */
  public WriteResult upsert(List<RecordInput> records, WriteHook hook) {
    validator.validateUpsert(records);
    // Normal forms are pure: computed before taking the write lock, so concurrent requests do
    // this part in parallel.
    List<Descriptors> normal = new ArrayList<>(records.size());
    for (RecordInput in : records) {
      normal.add(Descriptors.of(in.descriptors()));
    }
    return serialised(hook, () -> applyUpsert(records, normal, null, Map.of(), false, hook))
        .awaitDurable();
  }

  /**
   * An upsert of records moved here from another shard (a slot move's activation): as {@link
   * #upsert}, but a new entity formed only by records that held the same entity id {@code P} on
   * their former shard gets {@code P} rather than a fresh id, if this shard has no entity row of
   * {@code P} (docs/decisions.md D3). An identity already live here is left as it is (item
   * UNCHANGED): it was written here after the move's flip, so it is newer than the moved copy.
   *
   * @param records the records
   * @param formerEntity per identity, the entity id it held on its former shard (absent: none)
   */
  public WriteResult upsertMoved(List<RecordInput> records, Map<Identity, Long> formerEntity) {
    validator.validateUpsert(records);
    List<Descriptors> normal = new ArrayList<>(records.size());
    for (RecordInput in : records) {
      normal.add(Descriptors.of(in.descriptors()));
    }
    return serialised(
            WriteHook.NONE,
            () -> applyUpsert(records, normal, null, formerEntity, true, WriteHook.NONE))
        .awaitDurable();
  }

  /**
   * A compare-and-write upsert (a slot or reconciliation move's carry-over): record {@code i} is
   * applied only if its identity is live here with exactly the descriptors of {@code expected[i]}
   * (same identity); the check and the write happen under the write lock, so a write that reached
   * the record since then is never overwritten. A position not applied reports {@code NOT_FOUND}
   * with zero ids; applied ones report as {@link #upsert} does. A rejected request changes nothing.
   */
  public WriteResult upsertIfCurrent(List<RecordInput> records, List<RecordInput> expected) {
    return upsertIfCurrent(records, expected, WriteHook.NONE);
  }

  /**
   * As {@link #upsertIfCurrent(List, List)}, and record {@code i} is applied only if {@code
   * hook.admits} its identity too (checked with its state, under the write lock); {@code hook} is
   * told once the write is applied.
   */
  public WriteResult upsertIfCurrent(
      List<RecordInput> records, List<RecordInput> expected, WriteHook hook) {
    validator.validateUpsert(records);
    validator.validateUpsert(expected);
    if (records.size() != expected.size()) {
      throw new IllegalArgumentException(
          "expected: " + expected.size() + " states for " + records.size() + " records");
    }
    List<Descriptors> normal = new ArrayList<>(records.size());
    List<Descriptors> before = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      if (!records.get(i).identity().equals(expected.get(i).identity())) {
        throw new IllegalArgumentException(
            "record " + i + ": identity differs from its expected state's");
      }
      normal.add(Descriptors.of(records.get(i).descriptors()));
      before.add(Descriptors.of(expected.get(i).descriptors()));
    }
    return serialised(hook, () -> applyUpsert(records, normal, before, Map.of(), false, hook))
        .awaitDurable();
  }

  /**
   * A compare-and-write delete: identity {@code i} is deleted only if it is live here with exactly
   * the descriptors of {@code expected[i]}; otherwise {@code NOT_FOUND} (see {@link
   * #upsertIfCurrent}).
   */
  public WriteResult deleteIfCurrent(List<RecordInput> expected) {
    return deleteIfCurrent(expected, WriteHook.NONE);
  }

  /**
   * As {@link #deleteIfCurrent(List)}, and identity {@code i} is deleted only if {@code
   * hook.admits} it too; {@code hook} is told once the write is applied.
   */
  public WriteResult deleteIfCurrent(List<RecordInput> expected, WriteHook hook) {
    validator.validateUpsert(expected);
    List<Identity> ids = new ArrayList<>(expected.size());
    List<Descriptors> before = new ArrayList<>(expected.size());
    for (RecordInput e : expected) {
      ids.add(e.identity());
      before.add(Descriptors.of(e.descriptors()));
    }
    return serialised(hook, () -> applyDelete(ids, before, hook)).awaitDurable();
  }

  private <T> T serialised(Supplier<T> write) {
    writeLock.lock();
    try {
      if (switchUnfinished) {
        finishSwitch(true);
      }
      return write.get();
    } finally {
      writeLock.unlock();
    }
  }

  private Applied serialised(WriteHook hook, Supplier<Applied> write) {
    return serialised(
        () -> {
          Applied a = write.get();
          hook.applied(a.result());
          return a;
        });
  }

  /**
   * Under the write lock: finishes the switch the store's meta names {@code RUNNING}, if any, and
   * waits until it is durable.
   *
   * @param known whether this engine knows a switch of its own failed after spilling
   */
  private void finishSwitch(boolean known) {
    if (!known) {
      try (StoreView v = store.view()) {
        if (!SwitchJob.isRunning(v.meta())) {
          return;
        }
      }
    }
    Commit commit;
    try (StoreTxn txn = store.begin()) {
      StoreMeta meta = txn.meta();
      if (!SwitchJob.isRunning(meta)) {
        switchUnfinished = false;
        return;
      }
      LOG.info(
          "shard {}: finishing the interrupted ontology switch to version {} ({} of {} records"
              + " done{})",
          config.shardId(),
          meta.job().targetVersion(),
          meta.job().recordsDone(),
          meta.job().recordsTotal(),
          known ? ", it failed in this process" : "");
      runningJob = meta.job();
      SwitchJob.Result r =
          SwitchJob.resume(txn, config.shardId(), config.switchBatchRecords(), this::spilled);
      commit = txn.commit();
      LOG.info("shard {}: ontology switch to version {} finished", config.shardId(), r.version());
    } catch (RuntimeException e) {
      switchUnfinished = true;
      throw e;
    } finally {
      runningJob = null;
    }
    switchUnfinished = false;
    commit.awaitDurable();
  }

  private void spilled(ResolutionJob job) {
    runningJob = job;
    LOG.info(
        "shard {}: ontology switch to version {}: {} of {} records",
        config.shardId(),
        job.targetVersion(),
        job.recordsDone(),
        job.recordsTotal());
  }

  /** A write applied and visible, with the handle that tells when it is durable. */
  private record Applied(WriteResult result, Commit commit) {
    WriteResult awaitDurable() {
      commit.awaitDurable();
      return result;
    }
  }

  private Applied applyUpsert(
      List<RecordInput> records,
      List<Descriptors> normal,
      List<Descriptors> expected,
      Map<Identity, Long> formerEntity,
      boolean keepLive,
      WriteHook hook) {
    try (StoreTxn txn = store.begin()) {
      StoreMeta meta = txn.meta();
      long tx = meta.lastTx() + 1;
      long[] nextRecord = {meta.nextRecord()};
      List<Change> changes = new ArrayList<>();
      List<Item> items = new ArrayList<>();
      for (int i = 0; i < records.size(); i++) {
        RecordInput in = records.get(i);
        Descriptors nf = normal.get(i);
        OptionalLong existing = txn.recordId(in.identity());
        RecordVersion cur = existing.isPresent() ? txn.record(existing.getAsLong()) : null;
        if (expected != null
            && (cur == null
                || cur.isDeleted()
                || !cur.descriptors().equals(expected.get(i))
                || !hook.admits(in.identity()))) {
          items.add(new Item(i, Outcome.NOT_FOUND, 0, 0, 0, 0)); // changed since: not applied
          continue;
        }
        if (cur != null && !cur.isDeleted() && (keepLive || cur.descriptors().equals(nf))) {
          items.add(new Item(i, Outcome.UNCHANGED, cur.recordId(), cur.version(), cur.tx(), 0));
          continue;
        }
        long rid;
        if (existing.isPresent()) {
          rid = existing.getAsLong();
        } else {
          rid = Ids.of(config.shardId(), nextRecord[0]++);
          txn.putIdentity(in.identity(), rid);
        }
        boolean live = cur != null && !cur.isDeleted();
        int version = cur == null ? 1 : cur.version() + 1;
        ChangeKind kind = live ? ChangeKind.UPDATED : ChangeKind.CREATED;
        RecordVersion next = new RecordVersion(rid, in.identity(), version, tx, kind, nf);
        changes.add(new Change(rid, live ? cur : null, next));
        items.add(new Item(i, Outcome.valueOf(kind.name()), rid, version, tx, 0));
      }
      Map<Long, Long> preferred = new HashMap<>();
      if (!formerEntity.isEmpty()) {
        for (Change c : changes) {
          Long former = formerEntity.get(c.after().identity());
          if (former != null) {
            preferred.put(c.recordId(), former);
          }
        }
      }
      return finish(txn, meta, tx, nextRecord[0], changes, items, preferred);
    }
  }

  /**
   * Gives active entity {@code from} the id {@code to}, if {@code from} is still active here and
   * this shard has no row of {@code to} (see {@link #renameEntities}).
   *
   * @return the transaction, or 0 when nothing was renamed
   */
  public long renameEntity(long from, long to) {
    return renameEntities(Map.of(from, to)).tx();
  }

  /**
   * Gives each active entity {@code from} of {@code renames} the id {@code to} it maps to
   * (reconciliation moves' entities, created here by the moves' copies, taking back the ids they
   * had on the shard they came from once that shard deleted them: docs/decisions.md D3,
   * docs/distributed.md "Entity ids of moved entities"): only where {@code from} is still active
   * here and this shard has no row of {@code to}; the others are left as they are. One transaction
   * for all: each renamed {@code from} becomes an alias of its {@code to}, conflict items name
   * {@code to}, events {@code MERGED to [from]}. Returns once durable.
   *
   * @param renames from to to; ids non-zero, {@code from != to}, the {@code to} ids distinct
   * @throws IllegalArgumentException if an id is 0, equal to its pair's or named twice as {@code
   *     to} (nothing renamed)
   */
  public Renamed renameEntities(Map<Long, Long> renames) {
    java.util.Set<Long> targets = new java.util.HashSet<>();
    renames.forEach(
        (from, to) -> {
          if (from == 0 || to == 0 || from.equals(to) || !targets.add(to)) {
            throw new IllegalArgumentException(
                "rename "
                    + Long.toUnsignedString(from)
                    + " to "
                    + Long.toUnsignedString(to)
                    + ": entity ids must be two different non-zero ids, each target named once");
          }
        });
    Renamed[] out = new Renamed[1];
    Applied a =
        serialised(
            () -> {
              Applied r = applyRenames(renames);
              out[0] = new Renamed(r.result().tx(), renamedOf(r.result()));
              return r;
            });
    a.awaitDurable();
    return out[0];
  }

  private static java.util.Set<Long> renamedOf(WriteResult r) {
    java.util.Set<Long> from = new java.util.HashSet<>();
    r.events().forEach(e -> from.addAll(e.relatedIds()));
    return from;
  }

  /**
   * What {@link #renameEntities} did.
   *
   * @param tx its transaction, 0 when nothing was renamed
   * @param renamed the {@code from} ids renamed
   */
  public record Renamed(long tx, java.util.Set<Long> renamed) {}

  private Applied applyRenames(Map<Long, Long> renames) {
    try (StoreTxn txn = store.begin()) {
      Map<Long, Long> applicable = new java.util.LinkedHashMap<>();
      renames.forEach(
          (from, to) -> {
            EntityRow row = txn.entity(from);
            if (row != null && row.status() == EntityRow.Status.ACTIVE && txn.entity(to) == null) {
              applicable.put(from, to);
            }
          });
      if (applicable.isEmpty()) {
        return new Applied(new WriteResult(0, List.of(), List.of()), Commit.DURABLE);
      }
      StoreMeta meta = txn.meta();
      long tx = meta.lastTx() + 1;
      long[] nextEntity = {meta.nextEntity()};
      Ontology ontology = txn.ontology(meta.ontologyVersion());
      Resolver.Outcome outcome;
      try {
        outcome =
            new Resolver(
                    txn, ontology, ontology, () -> Ids.of(config.shardId(), nextEntity[0]++), tx)
                .renameEntities(applicable);
      } catch (IllegalStateException e) {
        // Re-resolving the unchanged components would change them: rename nothing (the entities
        // keep the ids they have) rather than fail every retry of the caller's move.
        LOG.warn("shard {}: entities not renamed: {}", config.shardId(), e.getMessage());
        return new Applied(new WriteResult(0, List.of(), List.of()), Commit.DURABLE);
      }
      txn.putMeta(meta.withCounters(meta.nextRecord(), nextEntity[0], tx));
      Commit commit = txn.commit();
      return new Applied(new WriteResult(tx, List.of(), outcome.events()), commit);
    }
  }

  /** Deletes records by identity (DOMAIN.md §2.4); unknown or deleted ones are NOT_FOUND. */
  public WriteResult delete(List<Identity> identities) {
    return delete(identities, WriteHook.NONE);
  }

  /** As {@link #delete(List)}, with {@code hook} told under the write lock once it is applied. */
  public WriteResult delete(List<Identity> identities, WriteHook hook) {
    validator.validateDelete(identities);
    return serialised(hook, () -> applyDelete(identities, null, hook)).awaitDurable();
  }

  private Applied applyDelete(
      List<Identity> identities, List<Descriptors> expected, WriteHook hook) {
    try (StoreTxn txn = store.begin()) {
      StoreMeta meta = txn.meta();
      long tx = meta.lastTx() + 1;
      List<Change> changes = new ArrayList<>();
      List<Item> items = new ArrayList<>();
      for (int i = 0; i < identities.size(); i++) {
        OptionalLong existing = txn.recordId(identities.get(i));
        RecordVersion cur = existing.isPresent() ? txn.record(existing.getAsLong()) : null;
        if (cur == null
            || expected != null
                && (cur.isDeleted()
                    || !cur.descriptors().equals(expected.get(i))
                    || !hook.admits(identities.get(i)))) {
          items.add(new Item(i, Outcome.NOT_FOUND, 0, 0, 0, 0));
        } else if (cur.isDeleted()) {
          items.add(new Item(i, Outcome.NOT_FOUND, cur.recordId(), cur.version(), cur.tx(), 0));
        } else {
          RecordVersion tomb =
              new RecordVersion(
                  cur.recordId(), cur.identity(), cur.version() + 1, tx, ChangeKind.DELETED, null);
          changes.add(new Change(cur.recordId(), cur, tomb));
          items.add(new Item(i, Outcome.DELETED, cur.recordId(), tomb.version(), tx, 0));
        }
      }
      return finish(txn, meta, tx, meta.nextRecord(), changes, items, Map.of());
    }
  }

  private Applied finish(
      StoreTxn txn,
      StoreMeta meta,
      long tx,
      long nextRecord,
      List<Change> changes,
      List<Item> items,
      Map<Long, Long> preferred) {
    Resolver.Outcome outcome = null;
    long[] nextEntity = {meta.nextEntity()};
    if (!changes.isEmpty()) {
      Ontology ontology = txn.ontology(meta.ontologyVersion());
      Resolver resolver =
          new Resolver(
              txn, ontology, ontology, () -> Ids.of(config.shardId(), nextEntity[0]++), tx);
      if (!preferred.isEmpty()) {
        resolver.preferringIds(rid -> preferred.getOrDefault(rid, 0L));
      }
      outcome = resolver.applyChanges(changes);
      txn.putMeta(meta.withCounters(nextRecord, nextEntity[0], tx));
    }
    List<Item> out = new ArrayList<>();
    for (Item it : items) {
      long eid =
          it.outcome() == Outcome.DELETED || it.outcome() == Outcome.NOT_FOUND
              ? 0
              : txn.entityOf(it.recordId());
      out.add(new Item(it.index(), it.outcome(), it.recordId(), it.version(), it.tx(), eid));
    }
    if (outcome == null) {
      return new Applied(new WriteResult(0, out, List.of()), Commit.DURABLE);
    }
    Commit commit = txn.commit();
    return new Applied(new WriteResult(tx, out, outcome.events()), commit);
  }

  /**
   * Sets the ontology (DOMAIN.md §3.2). Content equal to the current one returns the current
   * version and changes nothing. Otherwise the switch is applied at once (the in-process job
   * completes within the call, writes waiting meanwhile) and consumes a transaction only if it
   * changes the partition, ids, aliases or conflicts (§13.1). Its transaction spills every {@code
   * switchBatchRecords} records; readers see the old resolution until it commits, and a switch
   * interrupted after a spill is finished by the next engine opened on the store (docs/storage.md,
   * "Ontology switch").
   *
   * @param ontology the new document
   * @param expectedVersion if non-null, the version the caller expects to replace
   */
  public OntologyResult setOntology(Ontology ontology, Integer expectedVersion) {
    OntologyValidator.validate(ontology);
    Commit[] commit = {Commit.DURABLE};
    OntologyResult result = serialised(() -> applyOntology(ontology, expectedVersion, commit));
    commit[0].awaitDurable();
    return result;
  }

  private OntologyResult applyOntology(
      Ontology ontology, Integer expectedVersion, Commit[] commit) {
    try (StoreTxn txn = store.begin()) {
      StoreMeta meta = txn.meta();
      int version = meta.ontologyVersion();
      if (expectedVersion != null && expectedVersion != version) {
        throw new PreconditionFailedException(
            "ontology version is " + version + ", expected " + expectedVersion);
      }
      Ontology current = txn.ontology(version);
      if (current.canonical().equals(ontology.canonical())) {
        return new OntologyResult(version, 0, List.of());
      }
      boolean[] spilled = {false};
      SwitchJob.Result r;
      try {
        r =
            SwitchJob.start(
                txn,
                ontology,
                config.shardId(),
                config.switchBatchRecords(),
                job -> {
                  spilled[0] = true;
                  spilled(job);
                });
        commit[0] = txn.commit();
      } catch (RuntimeException e) {
        // Pieces of the switch are in the store: no other write may run on them.
        switchUnfinished = spilled[0];
        throw e;
      } finally {
        runningJob = null;
      }
      return new OntologyResult(r.version(), r.tx(), r.outcome().events());
    }
  }

  /** The current ontology version, document and latest job. */
  public OntologyInfo ontology() {
    try (StoreView v = store.view()) {
      StoreMeta meta = v.meta();
      ResolutionJob running = runningJob;
      return new OntologyInfo(
          meta.ontologyVersion(),
          v.ontology(meta.ontologyVersion()),
          running != null ? running : meta.job());
    }
  }

  /**
   * The current ontology.
   *
   * @param version current version (0 = empty)
   * @param ontology the document
   * @param job the latest re-resolution job, or null
   */
  public record OntologyInfo(int version, Ontology ontology, ResolutionJob job) {}
}
