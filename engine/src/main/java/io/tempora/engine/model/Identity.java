package io.tempora.engine.model;

import io.tempora.engine.temporal.ByteOrder;
import java.util.Comparator;
import java.util.Objects;

/**
 * A record's identity {@code (entity_type, perspective, uid)}. The natural order is DOMAIN.md's
 * canonical order: each field in UTF-8 byte order.
 */
public record Identity(String entityType, String perspective, String uid)
    implements Comparable<Identity> {
  private static final Comparator<Identity> ORDER =
      Comparator.comparing(Identity::entityType, ByteOrder.STRINGS)
          .thenComparing(Identity::perspective, ByteOrder.STRINGS)
          .thenComparing(Identity::uid, ByteOrder.STRINGS);

  public Identity {
    Objects.requireNonNull(entityType, "entityType");
    Objects.requireNonNull(perspective, "perspective");
    Objects.requireNonNull(uid, "uid");
  }

  /** Builds an identity. */
  public static Identity of(String entityType, String perspective, String uid) {
    return new Identity(entityType, perspective, uid);
  }

  @Override
  public int compareTo(Identity o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return entityType + "/" + perspective + ":" + uid;
  }
}
