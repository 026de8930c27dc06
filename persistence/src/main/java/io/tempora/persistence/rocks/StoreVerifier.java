package io.tempora.persistence.rocks;

import io.tempora.engine.link.LinkIndex;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.StoreCounts;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.temporal.IntervalSet;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.ValueCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A read-only consistency check of one snapshot (STORAGE.md §5, first part): records ↔ identity,
 * records ↔ attr_value, records ↔ key_postings, records ↔ memberships both ways, and interner
 * pairs. Visits every row once; memory stays bounded by one record's rows plus the report.
 */
final class StoreVerifier {
  static final int EXAMPLES = 10;

  private final RocksView view;
  private final Ontology ontology;
  // The target of an unfinished ontology switch (its pieces re-index records one by one), or null.
  private final Ontology target;
  private final Map<String, Problem> problems = new TreeMap<>();

  /** A problem class: how often it occurred and up to ten examples. */
  record Problem(long count, List<String> examples) {}

  private StoreVerifier(RocksView view) {
    this.view = view;
    this.ontology = view.ontology(view.meta().ontologyVersion());
    StoreMeta.ResolutionJob job = view.meta().job();
    this.target =
        job != null && job.state() == StoreMeta.ResolutionJob.State.RUNNING
            ? view.ontology(job.targetVersion())
            : null;
  }

  /** Checks the view's snapshot; an empty map means consistent. */
  static Map<String, Problem> verify(RocksView view) {
    StoreVerifier v = new StoreVerifier(view);
    v.records();
    IndexVerifier.verify(view, v::report);
    HistoryVerifier.verify(view, v::report);
    v.identities();
    v.attrValues();
    v.postings();
    v.memberships();
    v.interner();
    v.counts();
    return v.problems;
  }

  private void counts() {
    StoreCounts kept = view.counts();
    StoreCounts actual = StoreCounts.recount(view);
    if (!kept.equals(actual)) {
      report("counters differ from a recount", "meta/count/* " + kept + ", recount " + actual);
    }
  }

  private void report(String problemClass, String example) {
    problems.merge(
        problemClass,
        new Problem(1, List.of(example)),
        (a, b) -> {
          List<String> ex = new ArrayList<>(a.examples());
          if (ex.size() < EXAMPLES) {
            ex.add(example);
          }
          return new Problem(a.count() + 1, List.copyOf(ex));
        });
  }

  private static String id(long id) {
    return Long.toUnsignedString(id);
  }

  /** An index row picked for the start-up sample. */
  record Row(Cf cf, byte[] key, byte[] value) {}

  /**
   * Checks only the given live records and index rows ({@code identity}, {@code attr_value}, {@code
   * key_postings}, {@code memberships}), both ways: the start-up sample of STORAGE.md §5 step 5.
   */
  static Map<String, Problem> sample(RocksView view, List<Long> records, List<Row> rows) {
    StoreVerifier v = new StoreVerifier(view);
    records.forEach(v::record);
    for (Row r : rows) {
      switch (r.cf()) {
        case IDENTITY -> v.identityRow(r.key(), r.value());
        case ATTR_VALUE -> v.attrValueRow(r.key(), r.value());
        case KEY_POSTINGS -> v.postingRow(r.key(), r.value());
        case MEMBERSHIPS -> v.membershipRow(r.key(), r.value());
        default -> throw new IllegalArgumentException("no sample check for " + r.cf());
      }
    }
    return v.problems;
  }

  private void records() {
    try (Cursor<Long> live = view.liveRecords(0)) {
      while (live.hasNext()) {
        record(live.next());
      }
    }
  }

  /** One live record against its identity, attr_value, key_postings and membership rows. */
  private void record(long rid) {
    RecordVersion v = live(rid);
    if (v == null) {
      report("sampled record is not live", "record " + id(rid));
      return;
    }
    OptionalLong back = view.recordId(v.identity());
    if (back.isEmpty() || back.getAsLong() != rid) {
      report("record without its identity row", "record " + id(rid));
    }
    for (Map.Entry<AttrValue, IntervalSet> e : v.descriptors().coverage().entrySet()) {
      AttrValue av = e.getKey();
      if (!hasValuePosting(av, rid, e.getValue())) {
        report("missing attr_value row", "record " + id(rid) + " " + av);
      }
    }
    List<TupleKey> missing = missingPostings(v, ontology);
    if (!missing.isEmpty() && target != null && missingPostings(v, target).isEmpty()) {
      missing = List.of();
    }
    for (TupleKey key : missing) {
      report("missing key_postings row", "record " + id(rid) + " " + key);
    }
    long eid = view.entityOf(rid);
    if (eid == 0) {
      report("live record without entity", "record " + id(rid));
    } else if (view.get(Cf.MEMBERSHIPS, Keys.pair(eid, rid)) == null) {
      report("missing membership row", "entity " + id(eid) + " record " + id(rid));
    }
  }

  /**
   * Whether {@code attr_value} holds the row of {@code av} in record {@code rid} with exactly
   * {@code set}: one point read of the row's key (the record id is its last part), not a scan of
   * every record holding the value, so a value held by many records costs the same as a rare one.
   */
  private boolean hasValuePosting(AttrValue av, long rid, IntervalSet set) {
    OptionalLong attr = view.find(Kind.ATTRIBUTE, av.attr());
    OptionalLong value = view.find(Kind.VALUE, av.value());
    return attr.isPresent()
        && value.isPresent()
        && hasRow(Cf.ATTR_VALUE, Keys.attrValue(attr.getAsLong(), value.getAsLong(), rid), set);
  }

  /** Whether the index row {@code key} exists and holds exactly the interval set {@code set}. */
  private boolean hasRow(Cf cf, byte[] key, IntervalSet set) {
    byte[] row = view.get(cf, key);
    return row != null && ValueCodec.intervals(row).equals(set);
  }

  private RecordVersion live(long rid) {
    RecordVersion v = view.record(rid);
    return v == null || v.isDeleted() ? null : v;
  }

  private void identities() {
    try (Cursor<byte[]> c = view.scan(Cf.IDENTITY, new byte[0], null, this::identityRow)) {
      c.toList();
    }
  }

  private byte[] identityRow(byte[] key, byte[] value) {
    long rid = Interner.Values.readId(value);
    RecordVersion v = view.record(rid);
    if (v == null) {
      report("identity row naming no record", "record " + id(rid));
      return null;
    }
    Identity i = v.identity();
    OptionalLong type = view.find(Kind.TYPE, i.entityType());
    OptionalLong persp = view.find(Kind.PERSPECTIVE, i.perspective());
    if (type.isEmpty()
        || persp.isEmpty()
        || !Arrays.equals(key, Keys.identity(type.getAsLong(), persp.getAsLong(), i.uid()))) {
      report("identity row disagrees with its record", "record " + id(rid));
    }
    return null;
  }

  private void attrValues() {
    try (Cursor<byte[]> c = view.scan(Cf.ATTR_VALUE, new byte[0], null, this::attrValueRow)) {
      c.toList();
    }
  }

  private byte[] attrValueRow(byte[] key, byte[] value) {
    long rid = Keys.lastU64(key);
    RecordVersion v = live(rid);
    long attrId = Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(key, 0, 4).getInt());
    long valueId = Keys.u64(key, 4);
    Interner in = view.interner();
    String attr = in.string(view.source(), Kind.ATTRIBUTE, attrId);
    String val = in.string(view.source(), Kind.VALUE, valueId);
    if (v == null || !v.descriptors().cov(attr, val).equals(ValueCodec.intervals(value))) {
      report("dangling attr_value row", "record " + id(rid) + " " + new AttrValue(attr, val));
    }
    return null;
  }

  /** The key tuples of {@code v} under {@code o} without their posting. */
  private List<TupleKey> missingPostings(RecordVersion v, Ontology o) {
    List<TupleKey> out = new java.util.ArrayList<>();
    LinkIndex.live(v, o)
        .tuples()
        .forEach(
            (key, set) -> {
              if (!hasRow(Cf.KEY_POSTINGS, Keys.posting(key, v.recordId()), set)) {
                out.add(key);
              }
            });
    return out;
  }

  private void postings() {
    try (Cursor<byte[]> c = view.scan(Cf.KEY_POSTINGS, new byte[0], null, this::postingRow)) {
      c.toList();
    }
  }

  private byte[] postingRow(byte[] key, byte[] value) {
    long rid = Keys.lastU64(key);
    RecordVersion v = live(rid);
    boolean ok = v != null && postingOf(v, ontology, rid, key, value);
    if (!ok && v != null && target != null) {
      ok = postingOf(v, target, rid, key, value);
    }
    if (!ok) {
      report("dangling key_postings row", "record " + id(rid));
    }
    return null;
  }

  private static boolean postingOf(
      RecordVersion v, Ontology o, long rid, byte[] key, byte[] value) {
    for (Map.Entry<TupleKey, IntervalSet> e : LinkIndex.live(v, o).tuples().entrySet()) {
      if (Arrays.equals(Keys.posting(e.getKey(), rid), key)) {
        return e.getValue().equals(ValueCodec.intervals(value));
      }
    }
    return false;
  }

  private void memberships() {
    try (Cursor<byte[]> c = view.scan(Cf.MEMBERSHIPS, new byte[0], null, this::membershipRow)) {
      c.toList();
    }
  }

  private byte[] membershipRow(byte[] k, byte[] v) {
    long eid = Keys.u64(k, 0);
    long rid = Keys.lastU64(k);
    if (live(rid) == null || view.entityOf(rid) != eid) {
      report("dangling membership row", "entity " + id(eid) + " record " + id(rid));
    }
    return null;
  }

  private void interner() {
    try (Cursor<byte[]> c = view.scan(Cf.INTERNER, new byte[0], null, this::internerRow)) {
      c.toList();
    }
  }

  private byte[] internerRow(byte[] key, byte[] value) {
    Kind kind = null;
    boolean idRow = false;
    for (Kind k : Kind.values()) {
      if (key[0] == k.tag()) {
        kind = k;
        idRow = true;
      } else if (key[0] == Character.toLowerCase(k.tag())) {
        kind = k;
      }
    }
    if (kind == null) {
      report("interner row with unknown tag", "tag " + (key[0] & 0xFF));
      return null;
    }
    if (idRow) {
      String s = Interner.Values.readString(value);
      byte[] back = view.get(Cf.INTERNER, Keys.internString(kind, s));
      byte[] idBytes = Arrays.copyOfRange(key, 1, key.length);
      long id =
          kind.width() == 8
              ? Keys.u64(idBytes, 0)
              : Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(idBytes).getInt());
      if (back == null || Interner.Values.readId(back) != id) {
        report("broken interner pair", kind + " id " + id);
      }
    } else {
      long id = Interner.Values.readId(value);
      if (view.get(Cf.INTERNER, Keys.internId(kind, id)) == null) {
        report("broken interner pair", kind + " string for id " + id);
      }
    }
    return null;
  }
}
