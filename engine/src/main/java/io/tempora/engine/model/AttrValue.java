package io.tempora.engine.model;

import io.tempora.engine.temporal.ByteOrder;
import java.util.Comparator;

/** An {@code (attribute, value)} pair, ordered by attribute then value in byte order. */
public record AttrValue(String attr, String value) implements Comparable<AttrValue> {
  private static final Comparator<AttrValue> ORDER =
      Comparator.comparing(AttrValue::attr, ByteOrder.STRINGS)
          .thenComparing(AttrValue::value, ByteOrder.STRINGS);

  @Override
  public int compareTo(AttrValue o) {
    return ORDER.compare(this, o);
  }
}
