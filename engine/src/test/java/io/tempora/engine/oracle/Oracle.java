package io.tempora.engine.oracle;

import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A deliberately naive reference implementation of DOMAIN.md, for tests only: from an ontology and
 * the live records it computes the partition, conflicts, golden records and query answers by brute
 * force. It shares no logic with the engine, only plain data types.
 */
public final class Oracle {
  private Oracle() {}

  /**
   * Resolves a live record set from scratch.
   *
   * @param ontology the ontology (assumed valid)
   * @param liveRecords live records with unique identities and raw (valid) descriptors, any order
   */
  public static OracleState compute(Ontology ontology, List<RecordInput> liveRecords) {
    Set<Identity> seen = new HashSet<>();
    List<OracleRecord> records = new ArrayList<>();
    for (RecordInput in : liveRecords) {
      if (!seen.add(in.identity())) {
        throw new IllegalArgumentException("duplicate live identity " + in.identity());
      }
      records.add(OracleRecord.of(in));
    }
    records.sort(Comparator.comparing(OracleRecord::identity, Utf8Order.IDENTITIES));
    LinkGraph graph = new LinkGraph(ontology, records);
    List<List<OracleRecord>> entities = new ArrayList<>();
    for (List<OracleRecord> component : graph.components()) {
      entities.addAll(split(graph, component));
    }
    entities.sort(Comparator.comparing(e -> e.get(0).identity(), Utf8Order.IDENTITIES));
    return new OracleState(graph, entities);
  }

  /**
   * {@code split(C)} exactly as the pseudo-code of §5.2; each group returned in canonical order.
   */
  static List<List<OracleRecord>> split(LinkGraph graph, List<OracleRecord> canonicalComponent) {
    List<List<OracleRecord>> groups = new ArrayList<>();
    for (OracleRecord ri : canonicalComponent) {
      List<OracleRecord> g = new ArrayList<>(List.of(ri));
      List<List<OracleRecord>> cands = new ArrayList<>();
      for (List<OracleRecord> x : groups) {
        if (x.stream().anyMatch(m -> graph.isLinkable(ri, m))) {
          cands.add(x);
        }
      }
      cands.sort(Comparator.comparing(Oracle::anchor, Utf8Order.IDENTITIES));
      for (List<OracleRecord> x : cands) {
        List<OracleRecord> union = new ArrayList<>(g);
        union.addAll(x);
        if (!graph.hasStrongConflict(union)) {
          g = union;
          groups.removeIf(y -> y == x);
        }
      }
      groups.add(g);
    }
    List<List<OracleRecord>> out = new ArrayList<>();
    for (List<OracleRecord> g : groups) {
      List<OracleRecord> sorted = new ArrayList<>(g);
      sorted.sort(Comparator.comparing(OracleRecord::identity, Utf8Order.IDENTITIES));
      out.add(List.copyOf(sorted));
    }
    return out;
  }

  /** The canonically smallest identity of a group. */
  static Identity anchor(List<OracleRecord> group) {
    return group.stream().map(OracleRecord::identity).min(Utf8Order.IDENTITIES).orElseThrow();
  }
}
