package io.tempora.engine.store;

/**
 * The shard's counters and resolution state, written in the same atomic unit as the data they
 * describe.
 *
 * @param nextRecord next record counter to allocate (from 1)
 * @param nextEntity next entity counter to allocate (from 1)
 * @param lastTx last transaction number consumed (0 = none)
 * @param ontologyVersion version of the ontology the stored resolution uses
 * @param job the latest re-resolution job, or {@code null} if none ran
 */
public record StoreMeta(
    long nextRecord, long nextEntity, long lastTx, int ontologyVersion, ResolutionJob job) {
  /** The state of an empty store. */
  public static final StoreMeta INITIAL = new StoreMeta(1, 1, 0, 0, null);

  /** Status of an ontology re-resolution job (DOMAIN.md §3.2). */
  public record ResolutionJob(int targetVersion, State state, long recordsDone, long recordsTotal) {
    /** Job states. */
    public enum State {
      RUNNING,
      DONE,
      SUPERSEDED
    }
  }

  /** A copy with other counters. */
  public StoreMeta withCounters(long nextRecord, long nextEntity, long lastTx) {
    return new StoreMeta(nextRecord, nextEntity, lastTx, ontologyVersion, job);
  }

  /** A copy naming another ontology version and job. */
  public StoreMeta withOntology(int version, ResolutionJob job) {
    return new StoreMeta(nextRecord, nextEntity, lastTx, version, job);
  }
}
