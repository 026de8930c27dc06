package io.tempora.engine.ontology;

import io.tempora.engine.temporal.ByteOrder;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A key tuple {@code (K, v1..vn)} of a record of {@code entityType} (DOMAIN.md §4). The key name is
 * part of the tuple; the entity type is included because only records of one type link. Ordered by
 * type, key name, then values element-wise, all in byte order.
 */
public record TupleKey(String entityType, String keyName, List<String> values)
    implements Comparable<TupleKey> {
  private static final Comparator<TupleKey> ORDER =
      Comparator.comparing(TupleKey::entityType, ByteOrder.STRINGS)
          .thenComparing(TupleKey::keyName, ByteOrder.STRINGS)
          .thenComparing(TupleKey::values, ByteOrder.LISTS);

  public TupleKey {
    values = List.copyOf(values);
  }

  // equals and hashCode written out (the same values a record derives): tuple keys are hot map
  // keys of linking, and the derived methods did not always inline (docs/BENCHMARKS.md).
  @Override
  public boolean equals(Object o) {
    return o == this
        || o instanceof TupleKey t
            && Objects.equals(entityType, t.entityType)
            && Objects.equals(keyName, t.keyName)
            && values.equals(t.values);
  }

  @Override
  public int hashCode() {
    return (31 * Objects.hashCode(entityType) + Objects.hashCode(keyName)) * 31 + values.hashCode();
  }

  @Override
  public int compareTo(TupleKey o) {
    return ORDER.compare(this, o);
  }
}
