package io.tempora.engine.examples;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.IgnoredValues;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import io.tempora.engine.store.InMemoryStore;
import java.util.ArrayList;
import java.util.List;

/** Small builders for the worked examples of DOMAIN.md. */
final class Fixtures {
  private Fixtures() {}

  static Engine engine() {
    return new Engine(new InMemoryStore(), EngineConfig.defaults());
  }

  static Identity id(String persp, String uid) {
    return Identity.of("person", persp, uid);
  }

  static Descriptor d(String attr, String value, long s, long e) {
    return new Descriptor(attr, value, s, e);
  }

  static RecordInput rec(String persp, String uid, Descriptor... ds) {
    return new RecordInput(id(persp, uid), List.of(ds));
  }

  static RecordInput rec(Identity id, Descriptor... ds) {
    return new RecordInput(id, List.of(ds));
  }

  static IdentityKey key(String name, String... attrs) {
    return new IdentityKey(name, List.of(attrs), List.of());
  }

  static StrongIdentifier strong(String attr) {
    return new StrongIdentifier(attr, List.of());
  }

  static Constraint unique(String name, String attr) {
    return new Constraint(name, attr, ConstraintKind.UNIQUE, List.of());
  }

  static Constraint uniquePerPerspective(String name, String attr) {
    return new Constraint(name, attr, ConstraintKind.UNIQUE_WITHIN_PERSPECTIVE, List.of());
  }

  static IgnoredValues ignored(String attr, String... values) {
    return new IgnoredValues(attr, List.of(values), List.of());
  }

  static OntologyBuilder ontology() {
    return new OntologyBuilder();
  }

  static final class OntologyBuilder {
    private final List<IdentityKey> keys = new ArrayList<>();
    private final List<StrongIdentifier> strong = new ArrayList<>();
    private final List<Constraint> constraints = new ArrayList<>();
    private final List<IgnoredValues> ignored = new ArrayList<>();

    OntologyBuilder key(String name, String... attrs) {
      keys.add(Fixtures.key(name, attrs));
      return this;
    }

    OntologyBuilder strong(String attr) {
      strong.add(Fixtures.strong(attr));
      return this;
    }

    OntologyBuilder constraint(Constraint c) {
      constraints.add(c);
      return this;
    }

    OntologyBuilder ignored(String attr, String... values) {
      ignored.add(Fixtures.ignored(attr, values));
      return this;
    }

    Ontology build() {
      return new Ontology(keys, strong, constraints, ignored);
    }
  }
}
