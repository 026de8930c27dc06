package io.tempora.engine.query;

import io.tempora.engine.NotFoundException;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.link.LinkIndex;
import io.tempora.engine.link.LinkIndex.LinkStep;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.query.Explanation.Outcome;
import io.tempora.engine.store.StoreView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Explains why two records are or are not one entity (DOMAIN.md §10, §13.2): the shortest link path
 * whose record sequence is smallest element by element, found by a breadth-first search from B and
 * a greedy walk from A over canonically ordered neighbours.
 */
public final class Explainer {
  private final StoreView view;
  private final LinkIndex index;
  private final int ontologyVersion;

  public Explainer(StoreView view, Ontology ontology, int ontologyVersion) {
    this.view = view;
    this.index = new LinkIndex(view, ontology);
    this.ontologyVersion = ontologyVersion;
  }

  /** Explains {@code a} versus {@code b}; unknown or deleted records are NOT_FOUND. */
  public Explanation explain(Identity a, Identity b) {
    long ra = liveRecord(a);
    long rb = liveRecord(b);
    if (ra == rb) {
      return result(Outcome.SAME_ENTITY, List.of(), List.of());
    }
    if (!a.entityType().equals(b.entityType())) {
      return result(Outcome.DIFFERENT_ENTITY_TYPE, List.of(), List.of());
    }
    long ea = view.entityOf(ra);
    long eb = view.entityOf(rb);
    if (ea == eb) {
      Set<Long> members = new HashSet<>(view.members(ea).toList());
      List<Long> path = shortestPath(ra, rb, members::contains);
      return result(Outcome.SAME_ENTITY, path, List.of());
    }
    List<Long> path = shortestPath(ra, rb, rid -> true);
    if (path == null) {
      return result(Outcome.NO_LINK_PATH, null, List.of());
    }
    return result(Outcome.BLOCKED, path, blockedItems(path));
  }

  private long liveRecord(Identity id) {
    OptionalLong rid = view.recordId(id);
    RecordVersion v = rid.isPresent() ? view.record(rid.getAsLong()) : null;
    if (v == null || v.isDeleted()) {
      throw new NotFoundException("record " + id + " not found");
    }
    return rid.getAsLong();
  }

  private Explanation result(Outcome outcome, List<Long> path, List<BlockedMerge> blocked) {
    List<Identity> ids = new ArrayList<>();
    List<LinkStep> steps = new ArrayList<>();
    if (path != null && outcome != Outcome.NO_LINK_PATH) {
      for (int k = 0; k < path.size(); k++) {
        ids.add(index.record(path.get(k)).identity());
        if (k + 1 < path.size()) {
          steps.add(index.minimalLink(path.get(k), path.get(k + 1)));
        }
      }
    }
    return new Explanation(outcome, ids, steps, blocked, ontologyVersion);
  }

  /** The canonical shortest path from a to b through allowed records, or null if none. */
  private List<Long> shortestPath(long a, long b, LongPredicate allowed) {
    Map<Long, Integer> dist = new HashMap<>();
    Deque<Long> queue = new ArrayDeque<>();
    dist.put(b, 0);
    queue.add(b);
    while (!queue.isEmpty() && !dist.containsKey(a)) {
      long r = queue.poll();
      for (long n : index.neighbors(r)) {
        if (allowed.test(n) && !dist.containsKey(n)) {
          dist.put(n, dist.get(r) + 1);
          queue.add(n);
        }
      }
    }
    if (!dist.containsKey(a)) {
      return null;
    }
    List<Long> path = new ArrayList<>();
    long cur = a;
    path.add(cur);
    while (cur != b) {
      int d = dist.get(cur);
      Long best = null;
      for (long n : index.neighbors(cur)) {
        Integer dn = dist.get(n);
        if (dn != null && dn == d - 1 && allowed.test(n)) {
          if (best == null
              || index.record(n).identity().compareTo(index.record(best).identity()) < 0) {
            best = n;
          }
        }
      }
      cur = best;
      path.add(cur);
    }
    return path;
  }

  private List<BlockedMerge> blockedItems(List<Long> path) {
    List<BlockedMerge> out = new ArrayList<>();
    for (int k = 0; k + 1 < path.size(); k++) {
      long ex = view.entityOf(path.get(k));
      long ey = view.entityOf(path.get(k + 1));
      if (ex == ey) {
        continue;
      }
      BlockedMerge item = blockedBetween(ex, ey);
      if (item != null && !out.contains(item)) {
        out.add(item);
      }
    }
    return out;
  }

  private BlockedMerge blockedBetween(long ex, long ey) {
    for (String unit : view.conflictUnits(ex).toList()) {
      for (ConflictItem item : view.conflicts(unit)) {
        if (item instanceof BlockedMerge b
            && ((b.entityA() == ex && b.entityB() == ey)
                || (b.entityA() == ey && b.entityB() == ex))) {
          return b;
        }
      }
    }
    return null;
  }
}
