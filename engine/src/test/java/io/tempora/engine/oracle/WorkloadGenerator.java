package io.tempora.engine.oracle;

import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.IgnoredValues;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import io.tempora.engine.query.QueryRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Deterministic random workloads for DOMAIN.md §12: a random ontology and 1–200 upserted records in
 * batches, with updates (small uid alphabets) and deletes, over small value alphabets so that
 * tuples collide, and bounded, adjacent and unbounded intervals. Every request it makes is valid.
 */
public final class WorkloadGenerator {
  static final long NEG = Long.MIN_VALUE;
  static final long POS = Long.MAX_VALUE;

  private static final List<String> TYPES = List.of("person", "company");
  private static final List<String> PERSPECTIVES = List.of("crm", "hr", "web", "erp");
  private static final List<String> KEY_ATTRS = List.of("name", "email", "ssn", "phone", "country");
  private static final List<String> RECORD_ATTRS =
      List.of("name", "email", "ssn", "phone", "country", "title");
  private static final Map<String, List<String>> VALUE_POOLS =
      Map.of(
          "name", List.of("Ann", "ann", "Bob", "\uFF61", "\uD83D\uDE00", "Cy"),
          "email", List.of("a@x", "b@x", "c@x", "unknown", "n/a"),
          "ssn", List.of("111", "222", "333", "444"),
          "phone", List.of("555-1", "555-2", "555-3", "555-4"),
          "country", List.of("US", "CH", "LI", "GB"),
          "title", List.of("Dev", "Eng", "Ops"));
  private static final List<String> UID_SPECIALS = List.of("\uFF61", "\uD83D\uDE00", "a");
  private static final int[] UID_COUNTS = {2, 4, 8, 40};

  /** Generates the workload of a seed. */
  public Workload generate(long seed) {
    Random r = new Random(seed);
    List<String> types = pick(r, TYPES, 1 + r.nextInt(2));
    List<String> perspectives = pick(r, PERSPECTIVES, 2 + r.nextInt(3));
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (String a : RECORD_ATTRS) {
      List<String> pool = VALUE_POOLS.get(a);
      values.put(a, pick(r, pool, Math.min(pool.size(), 3 + r.nextInt(3))));
    }
    List<String> uids = uids(r);
    Ontology ontology = ontology(r, values);
    List<Op> ops = ops(r, new Alphabet(types, perspectives, uids, values));
    return new Workload(seed, ontology, types, ops);
  }

  /** The live set after the ops: last upsert per identity unless deleted later; canonical order. */
  public static List<RecordInput> liveRecords(List<Op> ops) {
    Map<Identity, RecordInput> live = new LinkedHashMap<>();
    for (Op op : ops) {
      switch (op) {
        case Op.Upsert u -> u.records().forEach(rec -> live.put(rec.identity(), rec));
        case Op.Delete d -> d.identities().forEach(live::remove);
      }
    }
    List<RecordInput> out = new ArrayList<>(live.values());
    out.sort(Comparator.comparing(RecordInput::identity, Utf8Order.IDENTITIES));
    return out;
  }

  /** A few valid queries over attribute values that occur in the workload. */
  public List<QueryRequest> queries(Workload w, long seed) {
    Random r = new Random(seed);
    List<RecordInput> source = liveRecords(w.ops());
    if (source.isEmpty()) {
      source = w.ops().stream().flatMap(WorkloadGenerator::upserted).toList();
    }
    List<AttrValue> pairs = new ArrayList<>(new LinkedHashSet<>(occurring(source)));
    List<QueryRequest> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      List<AttrValue> ds = pick(r, pairs, Math.min(pairs.size(), 1 + r.nextInt(2)));
      long[] window = r.nextInt(4) == 0 ? new long[] {NEG, POS} : interval(r);
      String type =
          r.nextInt(4) == 0 ? w.entityTypes().get(r.nextInt(w.entityTypes().size())) : null;
      out.add(new QueryRequest(ds, window[0], window[1], type, r.nextBoolean()));
    }
    return out;
  }

  private record Alphabet(
      List<String> types,
      List<String> perspectives,
      List<String> uids,
      Map<String, List<String>> values) {}

  private static List<Op> ops(Random r, Alphabet alphabet) {
    int target = 1 + r.nextInt(200);
    List<Op> ops = new ArrayList<>();
    List<Identity> used = new ArrayList<>();
    int count = 0;
    while (count < target) {
      if (!used.isEmpty() && r.nextInt(10) == 0) {
        ops.add(new Op.Delete(deletes(r, used, alphabet)));
        continue;
      }
      List<RecordInput> batch = new ArrayList<>();
      Set<Identity> inBatch = new HashSet<>();
      int size = Math.min(1 + r.nextInt(10), target - count);
      for (int tries = 0; batch.size() < size && tries < 50; tries++) {
        Identity id = identity(r, alphabet);
        if (inBatch.add(id)) {
          batch.add(new RecordInput(id, descriptors(r, alphabet.values())));
          used.add(id);
        }
      }
      count += batch.size();
      ops.add(new Op.Upsert(batch));
    }
    return ops;
  }

  private static List<Identity> deletes(Random r, List<Identity> used, Alphabet alphabet) {
    Set<Identity> out = new LinkedHashSet<>();
    int n = 1 + r.nextInt(3);
    for (int i = 0; i < n; i++) {
      // mostly identities seen before; sometimes an unknown or already deleted one (NOT_FOUND)
      out.add(r.nextInt(5) == 0 ? identity(r, alphabet) : used.get(r.nextInt(used.size())));
    }
    return List.copyOf(out);
  }

  private static Identity identity(Random r, Alphabet a) {
    return Identity.of(
        a.types().get(r.nextInt(a.types().size())),
        a.perspectives().get(r.nextInt(a.perspectives().size())),
        a.uids().get(r.nextInt(a.uids().size())));
  }

  private static List<String> uids(Random r) {
    int n = UID_COUNTS[r.nextInt(UID_COUNTS.length)];
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      out.add(Integer.toString(i));
    }
    if (r.nextBoolean()) {
      out.addAll(UID_SPECIALS);
    }
    return out;
  }

  private static List<Descriptor> descriptors(Random r, Map<String, List<String>> values) {
    List<Descriptor> out = new ArrayList<>();
    int n = 1 + r.nextInt(5);
    for (int i = 0; i < n; i++) {
      Descriptor prev = out.isEmpty() ? null : out.get(out.size() - 1);
      if (prev != null && prev.end() < 100 && r.nextInt(4) == 0) {
        // adjacent to the previous descriptor: same attribute, starting where it ended
        long end = r.nextInt(8) == 0 ? POS : prev.end() + 1 + r.nextInt((int) (100 - prev.end()));
        out.add(new Descriptor(prev.attr(), value(r, values, prev.attr()), prev.end(), end));
        continue;
      }
      String attr = RECORD_ATTRS.get(r.nextInt(RECORD_ATTRS.size()));
      long[] iv = interval(r);
      out.add(new Descriptor(attr, value(r, values, attr), iv[0], iv[1]));
    }
    return out;
  }

  private static String value(Random r, Map<String, List<String>> values, String attr) {
    List<String> vs = values.get(attr);
    return vs.get(r.nextInt(vs.size()));
  }

  /** A valid {@code [s,e)} over 0..100, often on a grid of 10 (adjacency), sometimes open. */
  static long[] interval(Random r) {
    long s;
    long e;
    if (r.nextInt(5) < 3) {
      s = 10L * r.nextInt(10);
      e = s + 10L * (1 + r.nextInt((int) ((100 - s) / 10)));
    } else {
      s = r.nextInt(100);
      e = s + 1 + r.nextInt((int) (100 - s));
    }
    if (r.nextInt(8) == 0) {
      s = NEG;
    }
    if (r.nextInt(8) == 0) {
      e = POS;
    }
    return new long[] {s, e};
  }

  private static Ontology ontology(Random r, Map<String, List<String>> values) {
    List<IdentityKey> keys = new ArrayList<>();
    int nKeys = 1 + r.nextInt(3);
    for (int i = 0; i < nKeys; i++) {
      List<String> attrs = pick(r, KEY_ATTRS, r.nextInt(3) == 0 ? 2 : 1);
      keys.add(new IdentityKey("key" + i, attrs, scope(r)));
    }
    List<StrongIdentifier> strong = new ArrayList<>();
    int nStrong = r.nextInt(3);
    for (int i = 0; i < nStrong; i++) {
      strong.add(new StrongIdentifier(KEY_ATTRS.get(r.nextInt(KEY_ATTRS.size())), scope(r)));
    }
    List<Constraint> constraints = new ArrayList<>();
    int nConstraints = r.nextInt(3);
    for (int i = 0; i < nConstraints; i++) {
      ConstraintKind kind = ConstraintKind.values()[r.nextInt(ConstraintKind.values().length)];
      constraints.add(
          new Constraint(
              "c" + i, RECORD_ATTRS.get(r.nextInt(RECORD_ATTRS.size())), kind, scope(r)));
    }
    List<IgnoredValues> ignored = new ArrayList<>();
    if (r.nextBoolean()) {
      String attr = KEY_ATTRS.get(r.nextInt(KEY_ATTRS.size()));
      List<String> vs = values.get(attr);
      ignored.add(new IgnoredValues(attr, pick(r, vs, 1 + r.nextInt(2)), scope(r)));
    }
    return new Ontology(keys, strong, constraints, ignored);
  }

  /** An element's entity_types: mostly all types (empty), else one or both named. */
  private static List<String> scope(Random r) {
    return r.nextInt(5) < 3 ? List.of() : pick(r, TYPES, 1 + r.nextInt(2));
  }

  private static <T> List<T> pick(Random r, List<T> from, int n) {
    List<T> copy = new ArrayList<>(from);
    Collections.shuffle(copy, r);
    return List.copyOf(copy.subList(0, n));
  }

  private static java.util.stream.Stream<RecordInput> upserted(Op op) {
    return op instanceof Op.Upsert u ? u.records().stream() : java.util.stream.Stream.empty();
  }

  private static List<AttrValue> occurring(List<RecordInput> records) {
    List<AttrValue> out = new ArrayList<>();
    for (RecordInput rec : records) {
      for (Descriptor d : rec.descriptors()) {
        out.add(new AttrValue(d.attr(), d.value()));
      }
    }
    return out;
  }
}
