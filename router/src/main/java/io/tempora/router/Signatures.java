package io.tempora.router;

import io.tempora.proto.v1.Constraint;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.IgnoredValues;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Record;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * The interaction signatures of a record under an ontology: one per identity-key tuple the record
 * forms ({@code K|type|key|v1|…|vn}, values held at a common instant, no ignored value) and one per
 * constrained value it holds ({@code C|type|constraint|value}). Two records that can link, or whose
 * entities can violate a constraint together, share a signature; the router keeps records sharing a
 * signature on one shard (the co-location invariant, docs/distributed.md). Immutable; thread-safe.
 */
final class Signatures {
  private static final char SEP = '\u0000';

  private final Ontology ontology;

  Signatures(Ontology ontology) {
    this.ontology = ontology;
  }

  private static boolean applies(List<String> types, String type) {
    return types.isEmpty() || types.contains(type);
  }

  private Set<String> ignored(String type) {
    Set<String> out = new HashSet<>();
    for (IgnoredValues iv : ontology.getIgnoredValuesList()) {
      if (applies(iv.getEntityTypesList(), type)) {
        for (String v : iv.getValuesList()) {
          out.add(iv.getAttribute() + SEP + v);
        }
      }
    }
    return out;
  }

  /** Key-tuple signatures first (sorted), then constraint signatures (sorted). */
  List<String> of(Record r) {
    String type = r.getIdentity().getEntityType();
    Set<String> ignored = ignored(type);
    TreeSet<String> keys = new TreeSet<>();
    for (IdentityKey k : ontology.getIdentityKeysList()) {
      if (!applies(k.getEntityTypesList(), type) || k.getAttributesCount() == 0) {
        continue;
      }
      List<List<Descriptor>> perAttr = new ArrayList<>();
      for (String a : k.getAttributesList()) {
        List<Descriptor> ds = new ArrayList<>();
        for (Descriptor d : r.getDescriptorsList()) {
          if (d.getAttr().equals(a) && !ignored.contains(a + SEP + d.getValue())) {
            ds.add(d);
          }
        }
        perAttr.add(ds);
      }
      tuples(
          type, k.getName(), perAttr, 0, new ArrayList<>(), Long.MIN_VALUE, Long.MAX_VALUE, keys);
    }
    TreeSet<String> constraints = new TreeSet<>();
    for (Constraint c : ontology.getConstraintsList()) {
      if (!applies(c.getEntityTypesList(), type)) {
        continue;
      }
      for (Descriptor d : r.getDescriptorsList()) {
        if (d.getAttr().equals(c.getAttribute())
            && !ignored.contains(d.getAttr() + SEP + d.getValue())) {
          constraints.add("C" + SEP + type + SEP + c.getName() + SEP + d.getValue());
        }
      }
    }
    List<String> out = new ArrayList<>(keys);
    out.addAll(constraints);
    return out;
  }

  private static void tuples(
      String type,
      String key,
      List<List<Descriptor>> perAttr,
      int i,
      List<String> values,
      long start,
      long end,
      Set<String> out) {
    if (start >= end) {
      return;
    }
    if (i == perAttr.size()) {
      StringBuilder b = new StringBuilder("K").append(SEP).append(type).append(SEP).append(key);
      values.forEach(v -> b.append(SEP).append(v));
      out.add(b.toString());
      return;
    }
    for (Descriptor d : perAttr.get(i)) {
      long s = d.getInterval().hasStart() ? d.getInterval().getStart() : Long.MIN_VALUE;
      long e = d.getInterval().hasEnd() ? d.getInterval().getEnd() : Long.MAX_VALUE;
      values.add(d.getValue());
      tuples(type, key, perAttr, i + 1, values, Math.max(start, s), Math.min(end, e), out);
      values.removeLast();
    }
  }

  /**
   * The proposed home slot of a new record: the slot of its smallest key-tuple signature, else of
   * its smallest constraint signature, else of its identity.
   */
  int homeSlot(Record r) {
    List<String> sigs = of(r);
    if (sigs.isEmpty()) {
      return ShardMap.slotOf(r.getIdentity());
    }
    CRC32C crc = new CRC32C();
    crc.update(sigs.get(0).getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % ShardMap.SLOTS);
  }
}
