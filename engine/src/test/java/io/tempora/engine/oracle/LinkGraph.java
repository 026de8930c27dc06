package io.tempora.engine.oracle;

import io.tempora.engine.model.Identity;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.oracle.Rules.Tuple;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The two pairwise predicates of DOMAIN.md §4 and §5.1, tabulated brute force over all record
 * pairs, plus the link components. Records are kept in canonical order.
 */
final class LinkGraph {
  /** One link evidence {@code (x, y, key name, tuple values, link piece)} (§7.2). */
  record Link(Identity x, Identity y, String key, List<String> tuple, Interval piece) {}

  /** One strong-conflict evidence (§7.2), {@code valueA} held by {@code p}, {@code valueB} by q. */
  record Clash(
      String attribute,
      String perspective,
      String valueA,
      String valueB,
      Interval piece,
      Identity p,
      Identity q) {}

  static final Comparator<Link> LINK_ORDER =
      Comparator.comparing(Link::x, Utf8Order.IDENTITIES)
          .thenComparing(Link::y, Utf8Order.IDENTITIES)
          .thenComparing(Link::key, Utf8Order.STRINGS)
          .thenComparing(Link::tuple, Utf8Order.STRING_LISTS)
          .thenComparing(Link::piece, Spans.ORDER);

  static final Comparator<Clash> CLASH_ORDER =
      Comparator.comparing(Clash::attribute, Utf8Order.STRINGS)
          .thenComparing(Clash::perspective, Utf8Order.STRINGS)
          .thenComparing(Clash::valueA, Utf8Order.STRINGS)
          .thenComparing(Clash::valueB, Utf8Order.STRINGS)
          .thenComparing(Clash::piece, Spans.ORDER)
          .thenComparing(Clash::p, Utf8Order.IDENTITIES)
          .thenComparing(Clash::q, Utf8Order.IDENTITIES);

  private final Ontology ontology;
  private final List<OracleRecord> records;
  private final Map<Identity, Integer> index = new HashMap<>();
  private final List<Map<Tuple, List<Interval>>> tuples = new ArrayList<>();
  private final boolean[][] linkable;
  private final boolean[][] strong;

  LinkGraph(Ontology ontology, List<OracleRecord> canonicalRecords) {
    this.ontology = ontology;
    this.records = List.copyOf(canonicalRecords);
    int n = records.size();
    for (int i = 0; i < n; i++) {
      index.put(records.get(i).identity(), i);
      tuples.add(Rules.tuples(ontology, records.get(i)));
    }
    linkable = new boolean[n][n];
    strong = new boolean[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        linkable[i][j] = !links(records.get(i), records.get(j)).isEmpty();
        strong[i][j] = !clashes(records.get(i), records.get(j)).isEmpty();
      }
    }
  }

  Ontology ontology() {
    return ontology;
  }

  List<OracleRecord> records() {
    return records;
  }

  OracleRecord record(Identity id) {
    return records.get(index.get(id));
  }

  /** Every link piece between two distinct records of one type, over every common tuple. */
  List<Link> links(OracleRecord x, OracleRecord y) {
    List<Link> out = new ArrayList<>();
    if (x.identity().equals(y.identity()) || !x.type().equals(y.type())) {
      return out;
    }
    Map<Tuple, List<Interval>> ty = tuples.get(index.get(y.identity()));
    for (Map.Entry<Tuple, List<Interval>> e : tuples.get(index.get(x.identity())).entrySet()) {
      List<Interval> other = ty.get(e.getKey());
      if (other != null) {
        for (Interval piece : Spans.intersect(e.getValue(), other)) {
          out.add(
              new Link(x.identity(), y.identity(), e.getKey().key(), e.getKey().values(), piece));
        }
      }
    }
    return out;
  }

  /** Every strong-conflict piece between two distinct records (§5.1), p's value first. */
  List<Clash> clashes(OracleRecord p, OracleRecord q) {
    List<Clash> out = new ArrayList<>();
    if (p.identity().equals(q.identity())
        || !p.type().equals(q.type())
        || !p.perspective().equals(q.perspective())) {
      return out;
    }
    for (String a : Rules.strongAttributes(ontology, p.type())) {
      for (String v : Rules.countedValues(ontology, p, a)) {
        for (String w : Rules.countedValues(ontology, q, a)) {
          if (v.equals(w)) {
            continue;
          }
          for (Interval piece : Spans.intersect(p.cov(a, v), q.cov(a, w))) {
            out.add(new Clash(a, p.perspective(), v, w, piece, p.identity(), q.identity()));
          }
        }
      }
    }
    return out;
  }

  boolean isLinkable(OracleRecord a, OracleRecord b) {
    return linkable[index.get(a.identity())][index.get(b.identity())];
  }

  boolean isStrongPair(OracleRecord a, OracleRecord b) {
    return strong[index.get(a.identity())][index.get(b.identity())];
  }

  /** True iff some two records of the set form a strong conflict (whole set, every pair). */
  boolean hasStrongConflict(Collection<OracleRecord> set) {
    for (OracleRecord a : set) {
      for (OracleRecord b : set) {
        if (isStrongPair(a, b)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The connected components of the link graph, each in canonical order, by anchor. */
  List<List<OracleRecord>> components() {
    boolean[] seen = new boolean[records.size()];
    List<List<OracleRecord>> out = new ArrayList<>();
    for (int start = 0; start < records.size(); start++) {
      if (seen[start]) {
        continue;
      }
      List<Integer> members = new ArrayList<>();
      Deque<Integer> todo = new ArrayDeque<>(List.of(start));
      seen[start] = true;
      while (!todo.isEmpty()) {
        int i = todo.poll();
        members.add(i);
        for (int j = 0; j < records.size(); j++) {
          if (linkable[i][j] && !seen[j]) {
            seen[j] = true;
            todo.add(j);
          }
        }
      }
      members.sort(Integer::compare);
      out.add(members.stream().map(records::get).toList());
    }
    return out;
  }
}
