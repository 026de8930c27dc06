package io.tempora.persistence.scale;

import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import io.tempora.engine.query.QueryRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * The deterministic "10 % overlap" workload of the scale tests and the storage benchmark. Record
 * {@code i} is {@code person/crm/u<i>} with an email, a strong {@code ssn}, a name valid from a day
 * of the year on (unbounded end) and a city valid for all time. Every tenth record ({@code i % 10
 * == 9}) reuses the email and ssn of record {@code i - 1}, so the two link into one entity; every
 * hundredth ({@code i % 100 == 99}) reuses only the email and holds another ssn, which blocks the
 * merge and records a conflict. Equal indexes give equal records, so a re-run is a no-op.
 */
public final class ScaleWorkload {
  /** The ontology: one identity key on email, ssn strong. */
  public static final Ontology ONTOLOGY =
      new Ontology(
          List.of(new IdentityKey("email", List.of("email"), List.of())),
          List.of(new StrongIdentifier("ssn", List.of())),
          List.of(),
          List.of());

  /**
   * The ontology of the switch test: same key, {@code name} strong instead of {@code ssn}. The two
   * records of every linked pair hold different names from different days on, both unbounded, so
   * every pair splits; the blocked pairs stay apart.
   */
  public static final Ontology SWITCHED =
      new Ontology(
          List.of(new IdentityKey("email", List.of("email"), List.of())),
          List.of(new StrongIdentifier("name", List.of())),
          List.of(),
          List.of());

  private static final long DAY = 86_400_000L;

  private ScaleWorkload() {}

  /** The identity of record {@code i}. */
  public static Identity identity(long i) {
    return Identity.of("person", "crm", "u" + i);
  }

  /** Record {@code i} as a client sends it; {@code version} varies the name on updates. */
  public static RecordInput record(long i, int version) {
    boolean overlaps = i % 10 == 9;
    long emailOf = overlaps ? i - 1 : i;
    long ssnOf = overlaps && i % 100 != 99 ? i - 1 : i;
    long from = (i % 365) * DAY;
    return new RecordInput(
        identity(i),
        List.of(
            Descriptor.always("email", "m" + emailOf),
            Descriptor.always("ssn", "s" + ssnOf),
            new Descriptor("name", "n" + ((i + version) % 1000), from, Long.MAX_VALUE),
            Descriptor.always("city", "c" + (i % 100))));
  }

  /** Records {@code [from, from + n)} at version 0. */
  public static List<RecordInput> batch(long from, int n) {
    List<RecordInput> out = new ArrayList<>(n);
    for (long i = from; i < from + n; i++) {
      out.add(record(i, 0));
    }
    return out;
  }

  /** A query matching the entity of record {@code i} (and only it) over all time. */
  public static QueryRequest query(long i) {
    long emailOf = i % 10 == 9 ? i - 1 : i;
    return new QueryRequest(
        List.of(new AttrValue("email", "m" + emailOf), new AttrValue("city", "c" + (i % 100))),
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        null,
        false);
  }
}
