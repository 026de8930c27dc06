package io.tempora.engine.conflict;

import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.temporal.ByteOrder;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import io.tempora.engine.temporal.Timeline;
import io.tempora.engine.temporal.Timeline.Segment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Direct conflicts (DOMAIN.md §7.1) and golden records (§8) of one entity, both read off the same
 * timeline of value sets per attribute.
 */
public final class EntityConflicts {
  private EntityConflicts() {}

  /** Per attribute (byte order), the coverage of each value inside the entity. */
  static TreeMap<String, Map<String, IntervalSet>> valueCoverage(List<LiveRecord> members) {
    TreeMap<String, Map<String, IntervalSet>> out = new TreeMap<>(ByteOrder.STRINGS);
    for (LiveRecord m : members) {
      for (Map.Entry<AttrValue, IntervalSet> e : m.descriptors().coverage().entrySet()) {
        out.computeIfAbsent(e.getKey().attr(), k -> new HashMap<>())
            .merge(e.getKey().value(), e.getValue(), IntervalSet::union);
      }
    }
    return out;
  }

  /** The DIRECT items of an entity, in attribute then interval order. */
  public static List<Direct> direct(long entityId, String type, List<LiveRecord> members) {
    List<Direct> out = new ArrayList<>();
    valueCoverage(members)
        .forEach(
            (attr, values) -> {
              if (values.size() < 2) {
                return; // one value never overlaps another
              }
              for (Segment<String> s : Timeline.segments(values, ByteOrder.STRINGS)) {
                if (s.keys().size() >= 2) {
                  out.add(
                      new Direct(type, attr, s.interval(), entityId, holders(attr, s, members)));
                }
              }
            });
    return out;
  }

  private static List<ValueHolders> holders(
      String attr, Segment<String> s, List<LiveRecord> members) {
    List<ValueHolders> out = new ArrayList<>();
    for (String v : s.keys()) {
      List<Identity> h = new ArrayList<>();
      for (LiveRecord m : members) {
        if (m.descriptors().cov(attr, v).overlaps(s.interval())) {
          h.add(m.identity());
        }
      }
      h.sort(null);
      out.add(new ValueHolders(v, h));
    }
    return out;
  }

  /** The golden record, clipped to the window (null = all time): attribute, then start order. */
  public static List<Descriptor> golden(List<LiveRecord> members, Interval window) {
    List<Descriptor> out = new ArrayList<>();
    valueCoverage(members)
        .forEach(
            (attr, values) -> {
              for (Segment<String> s : Timeline.segments(values, ByteOrder.STRINGS)) {
                if (s.keys().size() != 1) {
                  continue;
                }
                Interval i = s.interval();
                long st = window == null ? i.start() : Math.max(i.start(), window.start());
                long en = window == null ? i.end() : Math.min(i.end(), window.end());
                if (st < en) {
                  out.add(new Descriptor(attr, s.keys().get(0), st, en));
                }
              }
            });
    return out;
  }
}
