package io.tempora.engine.oracle;

import io.tempora.engine.ontology.Ontology;
import java.util.List;

/**
 * A generated workload: the seed that produced it, an ontology and the requests in order.
 *
 * @param entityTypes the entity types records use
 */
public record Workload(long seed, Ontology ontology, List<String> entityTypes, List<Op> ops) {
  public Workload {
    entityTypes = List.copyOf(entityTypes);
    ops = List.copyOf(ops);
  }
}
