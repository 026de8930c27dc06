package io.tempora.engine.link;

import io.tempora.engine.ontology.Ontology;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Partitions one link component into entities with {@code split(C)} of DOMAIN.md §5.2. A component
 * without a strong conflict is one entity (P1) and is recognised in one pass over strong-value
 * summaries; only a conflicted component pays for the full canonical-order walk.
 */
public final class Splitter {
  private Splitter() {}

  /** An entity-to-be: members in canonical order. */
  public record Group(List<LiveRecord> members) {
    /** The canonically smallest member. */
    public LiveRecord anchor() {
      return members.get(0);
    }
  }

  /** The entities of a component, in anchor order. */
  public static List<Group> split(Collection<Long> component, LinkIndex index) {
    if (component.size() == 1) {
      // One record alone never holds a strong conflict with itself: one group.
      return List.of(new Group(List.of(index.record(component.iterator().next()))));
    }
    List<LiveRecord> recs = new ArrayList<>();
    for (long rid : component) {
      recs.add(index.record(rid));
    }
    recs.sort(Comparator.comparing(LiveRecord::identity));
    Ontology ontology = index.ontology();
    if (!hasStrongConflict(recs, ontology)) {
      return List.of(new Group(recs));
    }
    return walk(recs, index);
  }

  /** True iff the records contain a strong conflict (§5.1). */
  public static boolean hasStrongConflict(List<LiveRecord> recs, Ontology ontology) {
    StrongSummary acc = new StrongSummary();
    for (LiveRecord r : recs) {
      StrongSummary s = StrongSummary.of(r, ontology);
      if (acc.conflictsWith(s)) {
        return true;
      }
      acc.absorb(s);
    }
    return false;
  }

  private static final class Building {
    int anchor;
    final List<Integer> members = new ArrayList<>();
    final StrongSummary summary;

    Building(int anchor, StrongSummary summary) {
      this.anchor = anchor;
      this.summary = summary;
      members.add(anchor);
    }
  }

  private static List<Group> walk(List<LiveRecord> recs, LinkIndex index) {
    Map<Long, Integer> position = new HashMap<>();
    for (int i = 0; i < recs.size(); i++) {
      position.put(recs.get(i).recordId(), i);
    }
    Building[] groupOf = new Building[recs.size()];
    for (int i = 0; i < recs.size(); i++) {
      Building g = new Building(i, StrongSummary.of(recs.get(i), index.ontology()));
      // Candidates are fixed before any join: groups holding an earlier record linkable with r_i.
      TreeMap<Integer, Building> cands = new TreeMap<>();
      for (long n : index.neighbors(recs.get(i).recordId())) {
        Integer p = position.get(n);
        if (p != null && p < i) {
          Building x = groupOf[p];
          cands.put(x.anchor, x);
        }
      }
      for (Building x : cands.values()) {
        if (!g.summary.conflictsWith(x.summary)) {
          g.summary.absorb(x.summary);
          g.anchor = Math.min(g.anchor, x.anchor);
          g.members.addAll(x.members);
          for (int m : x.members) {
            groupOf[m] = g;
          }
        }
      }
      groupOf[i] = g;
    }
    TreeMap<Integer, Group> out = new TreeMap<>();
    for (Building b : groupOf) {
      if (!out.containsKey(b.anchor)) {
        List<LiveRecord> members = b.members.stream().sorted().map(recs::get).toList();
        out.put(b.anchor, new Group(members));
      }
    }
    return new ArrayList<>(out.values());
  }
}
