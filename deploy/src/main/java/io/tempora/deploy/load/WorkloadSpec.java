package io.tempora.deploy.load;

/**
 * The shape of a synthetic workload. Immutable; validated on construction. Rates are probabilities
 * in [0, 1] drawn per generated record.
 *
 * @param seed seed of the generator: the same spec sends the same requests in the same order
 * @param records operations to generate (new records, upserts of earlier ones, deletes)
 * @param batch records per request
 * @param perspectives number of perspectives (source systems), at least 1
 * @param overlap a record describes an entity an earlier record already described
 * @param conflict such a record disagrees on the non-key attribute {@code name} (DIRECT conflict)
 * @param strongConflict such a record carries another {@code ssn} in the entity's home perspective
 *     (a strong-identifier conflict: BLOCKED_MERGE)
 * @param crossKey such a record links only through {@code phone}, not {@code email}
 * @param upsert the operation re-sends an earlier record with a changed {@code name}
 * @param delete the operation deletes an earlier record
 * @param shapes weights of the interval shapes
 * @param keyCardinality distinct email and phone values (0 = one per entity); small values merge
 *     entities that share them
 * @param hotKeyRate a record's email is one of {@code hotKeys} shared values
 * @param hotKeys number of hot email values
 * @param pool how many recent entities and records an overlap, upsert or delete may pick from
 * @param prefix prefix of every uid and value (keeps warm-up data apart from the measured run)
 */
public record WorkloadSpec(
    long seed,
    long records,
    int batch,
    int perspectives,
    double overlap,
    double conflict,
    double strongConflict,
    double crossKey,
    double upsert,
    double delete,
    Shapes shapes,
    long keyCardinality,
    double hotKeyRate,
    int hotKeys,
    int pool,
    String prefix) {

  /**
   * Relative weights of interval shapes: bounded ({@code [s, s+1000)}), unbounded (all time) and
   * adjacent ({@code [s+1000, s+2000)}, touching the entity's bounded interval without overlapping
   * it, so it must not link through it).
   */
  public record Shapes(double bounded, double unbounded, double adjacent) {
    public Shapes {
      if (bounded < 0 || unbounded < 0 || adjacent < 0 || bounded + unbounded + adjacent <= 0) {
        throw new IllegalArgumentException(
            "interval shape weights must be >= 0 and not all 0, got bounded "
                + bounded
                + ", unbounded "
                + unbounded
                + ", adjacent "
                + adjacent);
      }
    }
  }

  public WorkloadSpec {
    if (records < 0) {
      throw new IllegalArgumentException("--records must be >= 0, got " + records);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
    }
    if (perspectives < 1) {
      throw new IllegalArgumentException("--perspectives must be >= 1, got " + perspectives);
    }
    rate("--overlap", overlap);
    rate("--conflict", conflict);
    rate("--strong-conflict", strongConflict);
    rate("--cross-key", crossKey);
    rate("--upsert", upsert);
    rate("--delete", delete);
    rate("--hot-key-rate", hotKeyRate);
    if (upsert + delete > 1) {
      throw new IllegalArgumentException(
          "--upsert + --delete must be <= 1, got " + upsert + " + " + delete);
    }
    if (keyCardinality < 0) {
      throw new IllegalArgumentException("--key-cardinality must be >= 0, got " + keyCardinality);
    }
    if (hotKeys < 1) {
      throw new IllegalArgumentException("--hot-keys must be >= 1, got " + hotKeys);
    }
    if (pool < 1) {
      throw new IllegalArgumentException("--pool must be >= 1, got " + pool);
    }
  }

  private static void rate(String flag, double v) {
    if (!(v >= 0 && v <= 1)) {
      throw new IllegalArgumentException(flag + " must be in [0, 1], got " + v);
    }
  }

  /** A copy for another number of records and prefix (the warm-up). */
  public WorkloadSpec withRecordsAndPrefix(long n, String p) {
    return new WorkloadSpec(
        seed + 1,
        n,
        batch,
        perspectives,
        overlap,
        conflict,
        strongConflict,
        crossKey,
        upsert,
        delete,
        shapes,
        keyCardinality,
        hotKeyRate,
        hotKeys,
        pool,
        p);
  }
}
