package io.tempora.engine.conflict;

import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.link.LinkIndex;
import io.tempora.engine.link.LinkIndex.LinkStep;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.link.Splitter.Group;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Identity;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.temporal.ByteOrder;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * BLOCKED_MERGE items of one link component (DOMAIN.md §7.2): one per pair of its entities with a
 * linkable cross pair, with the smallest link and conflict evidence.
 */
public final class BlockedMerges {
  private BlockedMerges() {}

  /**
   * The items of a component split into {@code groups} (anchor order) with entity ids {@code ids}
   * (same order).
   */
  public static List<BlockedMerge> of(List<Group> groups, List<Long> ids, LinkIndex index) {
    if (groups.size() < 2) {
      return List.of();
    }
    Map<Long, Integer> groupOf = new HashMap<>();
    for (int g = 0; g < groups.size(); g++) {
      for (LiveRecord r : groups.get(g).members()) {
        groupOf.put(r.recordId(), g);
      }
    }
    // For each pair (a < b), the canonically smallest linkable (x in a, y in b).
    TreeMap<Long, long[]> firstLink = new TreeMap<>();
    for (int a = 0; a < groups.size(); a++) {
      for (LiveRecord x : groups.get(a).members()) {
        TreeMap<Integer, LiveRecord> best = new TreeMap<>();
        for (long n : index.neighbors(x.recordId())) {
          int b = groupOf.get(n);
          if (b > a) {
            LiveRecord y = index.record(n);
            best.merge(b, y, (p, q) -> p.identity().compareTo(q.identity()) <= 0 ? p : q);
          }
        }
        for (Map.Entry<Integer, LiveRecord> e : best.entrySet()) {
          long pair = ((long) a << 32) | e.getKey();
          firstLink.putIfAbsent(pair, new long[] {x.recordId(), e.getValue().recordId()});
        }
      }
    }
    List<BlockedMerge> out = new ArrayList<>();
    firstLink.forEach(
        (pair, xy) -> {
          int a = (int) (pair >>> 32);
          int b = (int) (pair & 0xFFFFFFFFL);
          out.add(item(groups.get(a), groups.get(b), ids.get(a), ids.get(b), xy, index));
        });
    return out;
  }

  private static BlockedMerge item(
      Group ga, Group gb, long idA, long idB, long[] xy, LinkIndex index) {
    LiveRecord x = index.record(xy[0]);
    LiveRecord y = index.record(xy[1]);
    LinkStep link = index.minimalLink(xy[0], xy[1]);
    Evidence ev = conflictEvidence(ga.members(), gb.members(), index.ontology());
    if (ev == null) {
      throw new IllegalStateException("blocked pair without strong conflict: " + x + ", " + y);
    }
    return new BlockedMerge(
        x.identity().entityType(),
        ev.attr,
        ev.piece,
        idA,
        idB,
        List.of(x.identity(), y.identity()),
        link.key(),
        link.tuple(),
        link.piece(),
        ev.persp,
        ev.valueA,
        ev.valueB,
        List.of(ev.p, ev.q));
  }

  private record Evidence(
      String attr,
      String persp,
      String valueA,
      String valueB,
      Interval piece,
      Identity p,
      Identity q) {}

  private static final Comparator<Evidence> EVIDENCE_ORDER =
      Comparator.comparing(Evidence::attr, ByteOrder.STRINGS)
          .thenComparing(Evidence::persp, ByteOrder.STRINGS)
          .thenComparing(Evidence::valueA, ByteOrder.STRINGS)
          .thenComparing(Evidence::valueB, ByteOrder.STRINGS)
          .thenComparing(Evidence::piece)
          .thenComparing(Evidence::p)
          .thenComparing(Evidence::q);

  /** The minimal strong-conflict evidence between two entities, or null if there is none. */
  private static Evidence conflictEvidence(
      List<LiveRecord> a, List<LiveRecord> b, Ontology ontology) {
    String type = a.get(0).identity().entityType();
    Evidence best = null;
    TreeSet<String> attrs = new TreeSet<>(ByteOrder.STRINGS);
    attrs.addAll(ontology.strongAttributesFor(type));
    for (String attr : attrs) {
      for (LiveRecord p : a) {
        for (LiveRecord q : b) {
          if (!p.identity().perspective().equals(q.identity().perspective())) {
            continue;
          }
          best = min(best, pairEvidence(attr, p, q, ontology, type));
        }
      }
      if (best != null) {
        return best;
      }
    }
    return best;
  }

  private static Evidence pairEvidence(
      String attr, LiveRecord p, LiveRecord q, Ontology ontology, String type) {
    Evidence best = null;
    for (Map.Entry<AttrValue, IntervalSet> vp : p.descriptors().valuesOf(attr).entrySet()) {
      String v = vp.getKey().value();
      if (ontology.isIgnored(type, attr, v)) {
        continue;
      }
      for (Map.Entry<AttrValue, IntervalSet> vq : q.descriptors().valuesOf(attr).entrySet()) {
        String w = vq.getKey().value();
        if (v.equals(w) || ontology.isIgnored(type, attr, w)) {
          continue;
        }
        IntervalSet common = vp.getValue().intersect(vq.getValue());
        if (!common.isEmpty()) {
          Evidence e =
              new Evidence(
                  attr,
                  p.identity().perspective(),
                  v,
                  w,
                  common.piece(0),
                  p.identity(),
                  q.identity());
          best = min(best, e);
        }
      }
    }
    return best;
  }

  private static Evidence min(Evidence a, Evidence b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return EVIDENCE_ORDER.compare(a, b) <= 0 ? a : b;
  }
}
