package io.tempora.engine.ontology;

import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.IgnoredValues;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates an ontology document with the messages of DOMAIN.md §3.1 and §13.5. The first failure
 * wins, elements in document order: identity keys, strong identifiers, constraints, ignored values.
 */
public final class OntologyValidator {
  private OntologyValidator() {}

  /**
   * Throws {@link IllegalArgumentException} naming the first invalid element.
   *
   * @param o the document to check
   */
  public static void validate(Ontology o) {
    Map<String, Integer> keyNames = new HashMap<>();
    for (int i = 0; i < o.identityKeys().size(); i++) {
      IdentityKey k = o.identityKeys().get(i);
      String w = "identity_keys[" + i + "]";
      requireNonEmpty(k.name(), w, "name");
      if (k.attributes().isEmpty()) {
        fail(w, "attributes must not be empty");
      }
      Map<String, Integer> seen = new HashMap<>();
      for (int j = 0; j < k.attributes().size(); j++) {
        String a = k.attributes().get(j);
        requireNonEmpty(a, w, "attributes[" + j + "]");
        Integer d = seen.putIfAbsent(a, j);
        if (d != null) {
          fail(w, "attributes[" + j + "] duplicates attributes[" + d + "]");
        }
      }
      checkTypes(k.entityTypes(), w);
      Integer d = keyNames.putIfAbsent(k.name(), i);
      if (d != null) {
        fail(w, "name duplicates identity_keys[" + d + "]");
      }
    }
    for (int i = 0; i < o.strongIdentifiers().size(); i++) {
      StrongIdentifier s = o.strongIdentifiers().get(i);
      String w = "strong_identifiers[" + i + "]";
      requireNonEmpty(s.attribute(), w, "attribute");
      checkTypes(s.entityTypes(), w);
    }
    Map<String, Integer> consNames = new HashMap<>();
    for (int i = 0; i < o.constraints().size(); i++) {
      Constraint c = o.constraints().get(i);
      String w = "constraints[" + i + "]";
      requireNonEmpty(c.name(), w, "name");
      requireNonEmpty(c.attribute(), w, "attribute");
      if (c.kind() == null) {
        fail(w, "kind must be UNIQUE or UNIQUE_WITHIN_PERSPECTIVE");
      }
      checkTypes(c.entityTypes(), w);
      Integer d = consNames.putIfAbsent(c.name(), i);
      if (d != null) {
        fail(w, "name duplicates constraints[" + d + "]");
      }
    }
    for (int i = 0; i < o.ignoredValues().size(); i++) {
      IgnoredValues iv = o.ignoredValues().get(i);
      String w = "ignored_values[" + i + "]";
      requireNonEmpty(iv.attribute(), w, "attribute");
      checkTypes(iv.entityTypes(), w);
    }
  }

  private static void checkTypes(List<String> types, String w) {
    for (int j = 0; j < types.size(); j++) {
      requireNonEmpty(types.get(j), w, "entity_types[" + j + "]");
    }
  }

  private static void requireNonEmpty(String s, String w, String field) {
    if (s == null || s.isEmpty()) {
      fail(w, field + " must not be empty");
    }
  }

  private static void fail(String w, String what) {
    throw new IllegalArgumentException("ontology: " + w + ": " + what);
  }
}
