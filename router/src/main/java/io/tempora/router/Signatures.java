package io.tempora.router;

import io.tempora.proto.v1.AttrValue;
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
import java.util.TreeMap;
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
    return new ArrayList<>(probes(r).keySet());
  }

  /**
   * The record's signatures (order of {@link #of}), each with a probe: an attribute value every
   * record having the signature holds (the first key attribute's value of a tuple, the constrained
   * value of a constraint signature). Records sharing a signature are found through the shards'
   * value postings of its probe.
   */
  java.util.SequencedMap<String, AttrValue> probes(Record r) {
    TreeMap<String, AttrValue> keys = new TreeMap<>();
    TreeMap<String, AttrValue> constraints = new TreeMap<>();
    visit(
        r,
        (sig, attr, value) ->
            keys.put(sig, AttrValue.newBuilder().setAttr(attr).setValue(value).build()),
        (sig, attr, value) ->
            constraints.put(sig, AttrValue.newBuilder().setAttr(attr).setValue(value).build()));
    java.util.LinkedHashMap<String, AttrValue> out = new java.util.LinkedHashMap<>(keys);
    out.putAll(constraints);
    return out;
  }

  /** Receives one signature of a record with its probe (attribute and value). */
  @FunctionalInterface
  private interface Sink {
    void accept(String signature, String attr, String value);
  }

  /**
   * Hands every key-tuple signature of {@code r} to {@code keys} and every constraint signature to
   * {@code constraints} (in no particular order; a signature may come more than once).
   */
  private void visit(Record r, Sink keys, Sink constraints) {
    String type = r.getIdentity().getEntityType();
    Set<String> ignored = ontology.getIgnoredValuesCount() == 0 ? Set.of() : ignored(type);
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
      Tuples t = new Tuples(type, k.getName(), k.getAttributes(0), perAttr, keys);
      t.collect(0, new ArrayList<>(), Long.MIN_VALUE, Long.MAX_VALUE);
    }
    for (Constraint c : ontology.getConstraintsList()) {
      if (!applies(c.getEntityTypesList(), type)) {
        continue;
      }
      for (Descriptor d : r.getDescriptorsList()) {
        if (d.getAttr().equals(c.getAttribute())
            && !ignored.contains(d.getAttr() + SEP + d.getValue())) {
          constraints.accept(
              "C" + SEP + type + SEP + c.getName() + SEP + d.getValue(), d.getAttr(), d.getValue());
        }
      }
    }
  }

  /** The tuples of one identity key a record forms (values held at a common instant). */
  private record Tuples(
      String type, String key, String firstAttr, List<List<Descriptor>> perAttr, Sink out) {
    void collect(int i, List<String> values, long start, long end) {
      if (start >= end) {
        return;
      }
      if (i == perAttr.size()) {
        StringBuilder b = new StringBuilder("K").append(SEP).append(type).append(SEP).append(key);
        values.forEach(v -> b.append(SEP).append(v));
        out.accept(b.toString(), firstAttr, values.get(0));
        return;
      }
      for (Descriptor d : perAttr.get(i)) {
        long s = d.getInterval().hasStart() ? d.getInterval().getStart() : Long.MIN_VALUE;
        long e = d.getInterval().hasEnd() ? d.getInterval().getEnd() : Long.MAX_VALUE;
        values.add(d.getValue());
        collect(i + 1, values, Math.max(start, s), Math.min(end, e));
        values.removeLast();
      }
    }
  }

  /**
   * The proposed home slot of a new record: the slot of its smallest key-tuple signature, else of
   * its smallest constraint signature, else of its identity.
   */
  int homeSlot(Record r) {
    String[] smallest = new String[2]; // key tuple, constraint
    visit(
        r,
        (sig, attr, value) -> smallest[0] = smaller(smallest[0], sig),
        (sig, attr, value) -> smallest[1] = smaller(smallest[1], sig));
    String sig = smallest[0] != null ? smallest[0] : smallest[1];
    if (sig == null) {
      return ShardMap.slotOf(r.getIdentity());
    }
    CRC32C crc = new CRC32C();
    crc.update(sig.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % ShardMap.SLOTS);
  }

  /** The smaller of two signatures in {@link #of}'s order ({@code a} may be null). */
  private static String smaller(String a, String b) {
    return a == null || b.compareTo(a) < 0 ? b : a;
  }
}
