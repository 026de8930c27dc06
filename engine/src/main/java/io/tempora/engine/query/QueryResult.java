package io.tempora.engine.query;

import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.temporal.Interval;
import java.util.List;

/**
 * The answer to a query: either matches or, when two entities match at one instant and {@code
 * return_all} is false, a QueryConflict (DOMAIN.md §9). Exactly one of {@link #matches()} and
 * {@link #conflict()} is non-null.
 *
 * @param ontologyVersion the ontology version the answer used
 * @param matches matches ordered by start, end, anchor; or null
 * @param conflict conflict items ordered by start; or null
 */
public record QueryResult(
    int ontologyVersion, List<Match> matches, List<ConflictInterval> conflict) {

  /** One match: an entity, one piece of {@code M(X)}, and the golden record clipped to it. */
  public record Match(long entityId, Interval interval, List<Descriptor> golden) {
    public Match {
      golden = List.copyOf(golden);
    }
  }

  /** A maximal interval on which the same ≥ 2 entities match. */
  public record ConflictInterval(Interval interval, List<ConflictEntity> entities) {
    public ConflictInterval {
      entities = List.copyOf(entities);
    }
  }

  /** One entity of a conflict interval, per descriptor its members holding it there. */
  public record ConflictEntity(long entityId, List<DescriptorHolders> descriptors) {
    public ConflictEntity {
      descriptors = List.copyOf(descriptors);
    }
  }

  /** A query descriptor and the members holding it at some instant of the interval. */
  public record DescriptorHolders(String attr, String value, List<Identity> holders) {
    public DescriptorHolders {
      holders = List.copyOf(holders);
    }
  }
}
