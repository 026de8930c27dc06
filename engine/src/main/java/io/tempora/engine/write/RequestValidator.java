package io.tempora.engine.write;

import io.tempora.engine.Limits;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates write requests completely before anything is applied, reporting the first failure in
 * the order and with the messages of DOMAIN.md §2.2: request-level row, then lowest record, then
 * table row, then lowest descriptor.
 */
public final class RequestValidator {
  private final Limits limits;

  public RequestValidator(Limits limits) {
    this.limits = limits;
  }

  /** Throws {@link IllegalArgumentException} with the §2.2 message of the first failure. */
  public void validateUpsert(List<RecordInput> records) {
    if (records.size() > limits.maxRecords()) {
      throw new IllegalArgumentException(
          "records: count "
              + records.size()
              + " exceeds limit "
              + limits.maxRecords()
              + key(limits.keyNames().maxRecords()));
    }
    Map<Identity, Integer> seen = new HashMap<>();
    for (int i = 0; i < records.size(); i++) {
      RecordInput r = records.get(i);
      String p = "record " + i + ": ";
      checkIdentity(p, r.identity());
      List<Descriptor> ds = r.descriptors();
      if (ds.isEmpty()) {
        fail(p + "descriptors must not be empty");
      }
      if (ds.size() > limits.maxDescriptors()) {
        fail(
            p
                + "descriptor count "
                + ds.size()
                + " exceeds limit "
                + limits.maxDescriptors()
                + key(limits.keyNames().maxDescriptors()));
      }
      for (int j = 0; j < ds.size(); j++) {
        String q = p + "descriptor " + j + ": ";
        requireNonEmpty(q, "attr", ds.get(j).attr());
        requireNonEmpty(q, "value", ds.get(j).value());
      }
      String attrKey = limits.keyNames().maxAttrValueBytes();
      for (int j = 0; j < ds.size(); j++) {
        String q = p + "descriptor " + j + ": ";
        requireLength(q, "attr", ds.get(j).attr(), limits.maxAttrValueBytes(), attrKey);
        requireLength(q, "value", ds.get(j).value(), limits.maxAttrValueBytes(), attrKey);
      }
      for (int j = 0; j < ds.size(); j++) {
        checkInterval(p + "descriptor " + j + ": ", ds.get(j));
      }
      Integer k = seen.putIfAbsent(r.identity(), i);
      if (k != null) {
        fail(p + "identity duplicates record " + k);
      }
    }
  }

  /** Throws {@link IllegalArgumentException} with the §2.2 message of the first failure. */
  public void validateDelete(List<Identity> identities) {
    if (identities.size() > limits.maxRecords()) {
      throw new IllegalArgumentException(
          "identities: count "
              + identities.size()
              + " exceeds limit "
              + limits.maxRecords()
              + key(limits.keyNames().maxRecords()));
    }
    Map<Identity, Integer> seen = new HashMap<>();
    for (int i = 0; i < identities.size(); i++) {
      String p = "identity " + i + ": ";
      checkIdentity(p, identities.get(i));
      Integer k = seen.putIfAbsent(identities.get(i), i);
      if (k != null) {
        fail(p + "duplicates identity " + k);
      }
    }
  }

  private void checkIdentity(String p, Identity id) {
    requireNonEmpty(p, "entity_type", id.entityType());
    requireNonEmpty(p, "perspective", id.perspective());
    requireNonEmpty(p, "uid", id.uid());
    String k = limits.keyNames().maxIdentityBytes();
    requireLength(p, "entity_type", id.entityType(), limits.maxIdentityBytes(), k);
    requireLength(p, "perspective", id.perspective(), limits.maxIdentityBytes(), k);
    requireLength(p, "uid", id.uid(), limits.maxIdentityBytes(), k);
  }

  private static void checkInterval(String q, Descriptor d) {
    if (d.start() >= d.end()) {
      String s = d.startOmitted() ? "-inf" : Long.toString(d.start());
      String e = d.endOmitted() ? "+inf" : Long.toString(d.end());
      fail(q + "start " + s + " must be less than end " + e);
    }
  }

  private static void requireNonEmpty(String p, String field, String s) {
    if (s == null || s.isEmpty()) {
      fail(p + field + " must not be empty");
    }
  }

  private static void requireLength(String p, String field, String s, int limit, String key) {
    int n = utf8Length(s);
    if (n > limit) {
      fail(p + field + " length " + n + " exceeds limit " + limit + key(key));
    }
  }

  /** The configuration key naming a limit, as a message suffix ("" when none is configured). */
  private static String key(String name) {
    return name.isEmpty() ? "" : " (" + name + ")";
  }

  /** UTF-8 length without encoding; a lone surrogate counts 3 bytes, as Java encodes "?". */
  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static void fail(String message) {
    throw new IllegalArgumentException(message);
  }
}
