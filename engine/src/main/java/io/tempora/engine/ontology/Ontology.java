package io.tempora.engine.ontology;

import io.tempora.engine.temporal.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * An ontology document (DOMAIN.md §3): identity keys, strong identifiers, constraints and ignored
 * values. Immutable. Element order carries no meaning; {@link #canonical()} gives the form used for
 * equality of content.
 */
public record Ontology(
    List<IdentityKey> identityKeys,
    List<StrongIdentifier> strongIdentifiers,
    List<Constraint> constraints,
    List<IgnoredValues> ignoredValues) {

  /** Version 0: no keys, so every record is its own entity. */
  public static final Ontology EMPTY = new Ontology(List.of(), List.of(), List.of(), List.of());

  public Ontology {
    identityKeys = List.copyOf(identityKeys);
    strongIdentifiers = List.copyOf(strongIdentifiers);
    constraints = List.copyOf(constraints);
    ignoredValues = List.copyOf(ignoredValues);
  }

  /** An identity key: ordered attributes whose joint values link records. */
  public record IdentityKey(String name, List<String> attributes, List<String> entityTypes) {
    public IdentityKey {
      attributes = List.copyOf(attributes);
      entityTypes = List.copyOf(entityTypes);
    }

    /** True iff the key applies to the entity type. */
    public boolean appliesTo(String type) {
      return entityTypes.isEmpty() || entityTypes.contains(type);
    }
  }

  /** A strong identifier: one perspective must never hold two of its values at once. */
  public record StrongIdentifier(String attribute, List<String> entityTypes) {
    public StrongIdentifier {
      entityTypes = List.copyOf(entityTypes);
    }

    /** True iff it applies to the entity type. */
    public boolean appliesTo(String type) {
      return entityTypes.isEmpty() || entityTypes.contains(type);
    }
  }

  /** Constraint kinds. */
  public enum ConstraintKind {
    UNIQUE,
    UNIQUE_WITHIN_PERSPECTIVE
  }

  /** A uniqueness constraint; reported, never enforced. {@code kind} may be null (invalid). */
  public record Constraint(
      String name, String attribute, ConstraintKind kind, List<String> entityTypes) {
    public Constraint {
      entityTypes = List.copyOf(entityTypes);
    }

    /** True iff it applies to the entity type. */
    public boolean appliesTo(String type) {
      return entityTypes.isEmpty() || entityTypes.contains(type);
    }
  }

  /** Placeholder values of an attribute that form no tuple and count for no conflict rule. */
  public record IgnoredValues(String attribute, List<String> values, List<String> entityTypes) {
    public IgnoredValues {
      values = List.copyOf(values);
      entityTypes = List.copyOf(entityTypes);
    }

    /** True iff it applies to the entity type. */
    public boolean appliesTo(String type) {
      return entityTypes.isEmpty() || entityTypes.contains(type);
    }
  }

  /** True iff the ontology has no element at all. */
  public boolean isEmpty() {
    return canonical().equals(EMPTY);
  }

  /** The identity keys applying to a type. */
  public List<IdentityKey> keysFor(String type) {
    List<IdentityKey> out = new ArrayList<>();
    for (IdentityKey k : identityKeys) {
      if (k.appliesTo(type)) {
        out.add(k);
      }
    }
    return out;
  }

  /** The strong-identifier attributes applying to a type, in byte order. */
  public Set<String> strongAttributesFor(String type) {
    Set<String> out = new TreeSet<>(ByteOrder.STRINGS);
    for (StrongIdentifier s : strongIdentifiers) {
      if (s.appliesTo(type)) {
        out.add(s.attribute());
      }
    }
    return out;
  }

  /** The constraints applying to a type. */
  public List<Constraint> constraintsFor(String type) {
    List<Constraint> out = new ArrayList<>();
    for (Constraint c : constraints) {
      if (c.appliesTo(type)) {
        out.add(c);
      }
    }
    return out;
  }

  /** True iff descriptor {@code (attr, value)} of a record of {@code type} is ignored (§3.1). */
  public boolean isIgnored(String type, String attr, String value) {
    for (IgnoredValues iv : ignoredValues) {
      if (iv.attribute().equals(attr) && iv.appliesTo(type) && iv.values().contains(value)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The canonical form: every list that is a set sorted and de-duplicated, key attribute lists kept
   * as sequences. Two ontologies have equal content iff their canonical forms are equal.
   */
  public Ontology canonical() {
    Comparator<List<String>> lists = ByteOrder.LISTS;
    List<IdentityKey> keys = new ArrayList<>();
    for (IdentityKey k : identityKeys) {
      keys.add(new IdentityKey(k.name(), k.attributes(), sortedSet(k.entityTypes())));
    }
    keys.sort(
        Comparator.comparing(IdentityKey::name, ByteOrder.STRINGS)
            .thenComparing(IdentityKey::attributes, lists)
            .thenComparing(IdentityKey::entityTypes, lists));
    List<StrongIdentifier> strong = new ArrayList<>();
    for (StrongIdentifier s : strongIdentifiers) {
      StrongIdentifier c = new StrongIdentifier(s.attribute(), sortedSet(s.entityTypes()));
      if (!strong.contains(c)) {
        strong.add(c);
      }
    }
    strong.sort(
        Comparator.comparing(StrongIdentifier::attribute, ByteOrder.STRINGS)
            .thenComparing(StrongIdentifier::entityTypes, lists));
    List<Constraint> cons = new ArrayList<>();
    for (Constraint c : constraints) {
      cons.add(new Constraint(c.name(), c.attribute(), c.kind(), sortedSet(c.entityTypes())));
    }
    cons.sort(Comparator.comparing(Constraint::name, ByteOrder.STRINGS));
    List<IgnoredValues> ign = new ArrayList<>();
    for (IgnoredValues iv : ignoredValues) {
      IgnoredValues c =
          new IgnoredValues(iv.attribute(), sortedSet(iv.values()), sortedSet(iv.entityTypes()));
      if (!ign.contains(c)) {
        ign.add(c);
      }
    }
    ign.sort(
        Comparator.comparing(IgnoredValues::attribute, ByteOrder.STRINGS)
            .thenComparing(IgnoredValues::values, lists)
            .thenComparing(IgnoredValues::entityTypes, lists));
    return new Ontology(keys, strong, cons, ign);
  }

  private static List<String> sortedSet(List<String> in) {
    Set<String> s = new TreeSet<>(ByteOrder.STRINGS);
    s.addAll(in);
    return List.copyOf(s);
  }
}
