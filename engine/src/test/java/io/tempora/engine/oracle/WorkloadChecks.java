package io.tempora.engine.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Validity of generated requests and counts of the features a batch of workloads exercises. */
final class WorkloadChecks {
  private WorkloadChecks() {}

  /** Every request valid per §2.2: non-empty fields, {@code s < e}, no duplicate identity. */
  static void assertValid(Workload w) {
    for (Op op : w.ops()) {
      switch (op) {
        case Op.Upsert u -> {
          assertThat(u.records().stream().map(RecordInput::identity)).doesNotHaveDuplicates();
          for (RecordInput r : u.records()) {
            assertValid(r.identity());
            assertThat(r.descriptors()).isNotEmpty();
            for (Descriptor d : r.descriptors()) {
              assertThat(d.attr()).isNotEmpty();
              assertThat(d.value()).isNotEmpty();
              assertThat(d.start()).isLessThan(d.end());
            }
          }
        }
        case Op.Delete d -> {
          assertThat(d.identities()).isNotEmpty().doesNotHaveDuplicates();
          d.identities().forEach(WorkloadChecks::assertValid);
        }
      }
    }
  }

  private static void assertValid(Identity id) {
    assertThat(List.of(id.entityType(), id.perspective(), id.uid())).allMatch(f -> !f.isEmpty());
  }

  /** How many workloads use each generator feature. */
  static Map<String, Integer> featureCounts(List<Workload> workloads) {
    Map<String, Integer> out = new TreeMap<>();
    for (Workload w : workloads) {
      Set<String> features = new HashSet<>();
      ontologyFeatures(w.ontology(), features);
      Set<Identity> upserted = new HashSet<>();
      for (Op op : w.ops()) {
        if (op instanceof Op.Delete) {
          features.add("delete");
        } else if (op instanceof Op.Upsert u) {
          for (RecordInput r : u.records()) {
            if (!upserted.add(r.identity())) {
              features.add("update");
            }
            recordFeatures(r, features);
          }
        }
      }
      features.forEach(f -> out.merge(f, 1, Integer::sum));
    }
    return out;
  }

  /** Adds the number of items of each kind to the counts. */
  static void countConflicts(OracleState s, Map<String, Integer> counts) {
    for (ConflictItem item : s.conflicts()) {
      counts.merge(item.kind().name(), 1, Integer::sum);
    }
  }

  private static void ontologyFeatures(Ontology o, Set<String> features) {
    if (!o.ignoredValues().isEmpty()) {
      features.add("ignored");
    }
    if (!o.strongIdentifiers().isEmpty()) {
      features.add("strong");
    }
    if (!o.constraints().isEmpty()) {
      features.add("constraint");
    }
    if (o.identityKeys().stream().anyMatch(k -> k.attributes().size() > 1)) {
      features.add("multiAttrKey");
    }
    if (o.identityKeys().stream().anyMatch(k -> !k.entityTypes().isEmpty())) {
      features.add("scoped");
    }
  }

  private static void recordFeatures(RecordInput r, Set<String> features) {
    for (Descriptor d : r.descriptors()) {
      if (d.start() == Long.MIN_VALUE || d.end() == Long.MAX_VALUE) {
        features.add("unbounded");
      }
      for (Descriptor o : r.descriptors()) {
        if (o.attr().equals(d.attr()) && o.start() == d.end()) {
          features.add("adjacent");
        }
      }
    }
  }
}
