package io.tempora.router;

/**
 * What happened in {@link RouterSimulation} runs, summed over seeds by the test. Not thread-safe.
 */
final class SimStats {
  int requests;
  int drops;
  int resends;
  int reconciles;
  int failedReconciles;
  int crashes;
  int writesInRound;
  int shardStops;
  long moved;

  void add(SimStats o) {
    requests += o.requests;
    drops += o.drops;
    resends += o.resends;
    reconciles += o.reconciles;
    failedReconciles += o.failedReconciles;
    crashes += o.crashes;
    writesInRound += o.writesInRound;
    shardStops += o.shardStops;
    moved += o.moved;
  }

  @Override
  public String toString() {
    return String.format(
        "%d requests, %d drops, %d resends, %d Reconcile calls (%d failed), %d router crashes,"
            + " %d requests sent inside a round, %d shard stops, %d records moved",
        requests,
        drops,
        resends,
        reconciles,
        failedReconciles,
        crashes,
        writesInRound,
        shardStops,
        moved);
  }
}
