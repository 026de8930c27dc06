package io.tempora.engine.resolve;

import io.tempora.engine.model.Ids;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreMeta.ResolutionJob;
import io.tempora.engine.store.StoreTxn;

/**
 * An ontology switch as one job in a store transaction that spills every {@code batchRecords}
 * records (docs/storage.md, "Ontology switch"). At each spill the meta names the job {@code
 * RUNNING} (target version, progress) with the entity counter so far, and the switch's job rows
 * hold the rest of its state: a store reopened after an interruption finds the job in its meta and
 * {@link #resume}s it. The last step writes the meta of the finished switch ({@code DONE}); the
 * caller commits.
 */
public final class SwitchJob {
  private SwitchJob() {}

  /** Told of every spill, after it (the engine logs progress). */
  @FunctionalInterface
  public interface Listener {
    void spilled(ResolutionJob running);
  }

  /**
   * What a finished switch did.
   *
   * @param version the ontology version now in force
   * @param outcome events and the conflicts flag
   * @param tx the transaction it consumed, or 0 if it changed nothing
   */
  public record Result(int version, Resolver.Outcome outcome, long tx) {}

  /**
   * Starts the switch of the transaction's store to {@code target} as version {@code current + 1}.
   */
  public static Result start(
      StoreTxn txn, Ontology target, int shardId, int batchRecords, Listener listener) {
    StoreMeta meta = txn.meta();
    if (isRunning(meta)) {
      throw new IllegalStateException(
          "an ontology switch to version " + meta.job().targetVersion() + " is unfinished");
    }
    int next = meta.ontologyVersion() + 1;
    txn.putOntology(next, target);
    return run(txn, meta, target, next, shardId, batchRecords, listener);
  }

  /** True if the meta names an unfinished (interrupted) switch. */
  public static boolean isRunning(StoreMeta meta) {
    return meta.job() != null && meta.job().state() == ResolutionJob.State.RUNNING;
  }

  /** Finishes the interrupted switch the transaction's meta names {@code RUNNING}. */
  public static Result resume(StoreTxn txn, int shardId, int batchRecords, Listener listener) {
    StoreMeta meta = txn.meta();
    if (!isRunning(meta)) {
      throw new IllegalStateException("no ontology switch is running");
    }
    int next = meta.job().targetVersion();
    Ontology target = txn.ontology(next);
    if (target == null) {
      throw new IllegalStateException(
          "running ontology switch: ontology version " + next + " is not stored");
    }
    return run(txn, meta, target, next, shardId, batchRecords, listener);
  }

  private static Result run(
      StoreTxn txn,
      StoreMeta meta,
      Ontology target,
      int next,
      int shardId,
      int batchRecords,
      Listener listener) {
    Ontology current = txn.ontology(meta.ontologyVersion());
    long tx = meta.lastTx() + 1;
    long[] nextEntity = {meta.nextEntity()};
    long total = txn.counts().records();
    Resolver resolver =
        new Resolver(txn, current, target, () -> Ids.of(shardId, nextEntity[0]++), tx);
    Resolver.Outcome outcome =
        resolver.switchOntology(
            batchRecords,
            done -> {
              ResolutionJob job = new ResolutionJob(next, ResolutionJob.State.RUNNING, done, total);
              txn.putMeta(
                  meta.withCounters(meta.nextRecord(), nextEntity[0], meta.lastTx())
                      .withOntology(meta.ontologyVersion(), job));
              txn.spill();
              listener.spilled(job);
            });
    long lastTx = outcome.changedAnything() ? tx : meta.lastTx();
    ResolutionJob done = new ResolutionJob(next, ResolutionJob.State.DONE, total, total);
    txn.putMeta(
        meta.withCounters(meta.nextRecord(), nextEntity[0], lastTx).withOntology(next, done));
    return new Result(next, outcome, outcome.changedAnything() ? tx : 0);
  }
}
