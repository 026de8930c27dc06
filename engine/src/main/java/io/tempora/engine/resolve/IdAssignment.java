package io.tempora.engine.resolve;

import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.link.Splitter.Group;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityEvent.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToLongFunction;

/**
 * Entity ids and events of one transaction (DOMAIN.md §6): keepers, kept and fresh ids, aliases,
 * deletions, and the events in §6.2 order.
 */
final class IdAssignment {
  final List<Long> ids = new ArrayList<>();
  final Map<Long, Long> aliases = new TreeMap<>(Long::compareUnsigned);
  final Set<Long> deleted = new TreeSet<>(Long::compareUnsigned);
  final List<EntityEvent> events = new ArrayList<>();

  /**
   * Assigns ids to {@code groups} (anchor order).
   *
   * @param groups the new entities of the affected region
   * @param oldMembers old entity id to its member record ids (before the transaction)
   * @param deletedRecords records deleted by the transaction
   * @param changedRecords records whose descriptors changed (created, updated)
   * @param fresh the fresh entity id of a group no old entity keeps (called in anchor order)
   * @param tx the transaction number for events
   */
  IdAssignment(
      List<Group> groups,
      Map<Long, List<Long>> oldMembers,
      Set<Long> deletedRecords,
      Set<Long> changedRecords,
      ToLongFunction<Group> fresh,
      long tx) {
    Map<Long, Integer> groupOf = new HashMap<>();
    for (int g = 0; g < groups.size(); g++) {
      for (LiveRecord r : groups.get(g).members()) {
        groupOf.put(r.recordId(), g);
      }
    }
    Map<Integer, TreeSet<Long>> kept = new HashMap<>();
    Map<Long, TreeSet<Integer>> spreadOf = new TreeMap<>(Long::compareUnsigned);
    Map<Long, Integer> keeperOf = new HashMap<>();
    Set<Long> previouslyInEntity = new HashSet<>();
    for (Map.Entry<Long, List<Long>> o : oldMembers.entrySet()) {
      previouslyInEntity.addAll(o.getValue());
      List<Long> survivors =
          o.getValue().stream().filter(r -> !deletedRecords.contains(r)).toList();
      if (survivors.isEmpty()) {
        deleted.add(o.getKey());
        continue;
      }
      long smallest = survivors.stream().min(Long::compareUnsigned).orElseThrow();
      int keeper = groupOf.get(smallest);
      keeperOf.put(o.getKey(), keeper);
      kept.computeIfAbsent(keeper, k -> new TreeSet<>(Long::compareUnsigned)).add(o.getKey());
      TreeSet<Integer> spread = new TreeSet<>();
      survivors.forEach(r -> spread.add(groupOf.get(r)));
      spreadOf.put(o.getKey(), spread);
    }
    for (int g = 0; g < groups.size(); g++) {
      TreeSet<Long> k = kept.get(g);
      if (k != null) {
        ids.add(k.first());
        for (long alias : k.tailSet(k.first(), false)) {
          aliases.put(alias, k.first());
        }
      } else {
        ids.add(fresh.applyAsLong(groups.get(g)));
      }
    }
    buildEvents(
        groups, kept, spreadOf, keeperOf, previouslyInEntity, oldMembers, changedRecords, tx);
  }

  private void buildEvents(
      List<Group> groups,
      Map<Integer, TreeSet<Long>> kept,
      Map<Long, TreeSet<Integer>> spreadOf,
      Map<Long, Integer> keeperOf,
      Set<Long> previouslyInEntity,
      Map<Long, List<Long>> oldMembers,
      Set<Long> changedRecords,
      long tx) {
    List<EntityEvent> out = new ArrayList<>();
    spreadOf.forEach(
        (o, spread) -> {
          if (spread.size() >= 2) {
            List<Long> related = new ArrayList<>();
            for (int g : spread) {
              if (g != keeperOf.get(o)) {
                related.add(ids.get(g));
              }
            }
            related.sort(Long::compareUnsigned);
            out.add(new EntityEvent(tx, Kind.SPLIT, o, related));
          }
        });
    for (int g = 0; g < groups.size(); g++) {
      TreeSet<Long> k = kept.get(g);
      if (k != null && k.size() >= 2) {
        out.add(
            new EntityEvent(tx, Kind.MERGED, ids.get(g), List.copyOf(k.tailSet(k.first(), false))));
      }
      if (k == null
          && groups.get(g).members().stream()
              .noneMatch(r -> previouslyInEntity.contains(r.recordId()))) {
        out.add(new EntityEvent(tx, Kind.CREATED, ids.get(g), List.of()));
      }
    }
    for (long o : deleted) {
      out.add(new EntityEvent(tx, Kind.DELETED, o, List.of()));
    }
    Set<Long> named = new HashSet<>();
    for (EntityEvent e : out) {
      named.add(e.entityId());
      named.addAll(e.relatedIds());
    }
    for (int g = 0; g < groups.size(); g++) {
      long id = ids.get(g);
      if (kept.get(g) == null || named.contains(id)) {
        continue;
      }
      List<Long> before = oldMembers.getOrDefault(id, List.of());
      Set<Long> now = new HashSet<>();
      boolean descriptorsChanged = false;
      for (LiveRecord r : groups.get(g).members()) {
        now.add(r.recordId());
        descriptorsChanged |= changedRecords.contains(r.recordId());
      }
      if (descriptorsChanged || !now.equals(new HashSet<>(before))) {
        out.add(new EntityEvent(tx, Kind.UPDATED, id, List.of()));
      }
    }
    out.sort(
        Comparator.comparing(EntityEvent::entityId, Long::compareUnsigned)
            .thenComparing(EntityEvent::kind));
    events.addAll(out);
  }
}
