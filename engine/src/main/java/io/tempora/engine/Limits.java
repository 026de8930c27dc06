package io.tempora.engine;

/**
 * Request limits of DOMAIN.md §2.2. Defaults from {@link #defaults()}; all must be positive.
 *
 * @param maxRecords records (or identities) per request
 * @param maxDescriptors descriptors per record
 * @param maxIdentityBytes UTF-8 bytes per identity field
 * @param maxAttrValueBytes UTF-8 bytes per attribute or value
 */
public record Limits(
    int maxRecords, int maxDescriptors, int maxIdentityBytes, int maxAttrValueBytes) {
  public Limits {
    if (maxRecords < 1 || maxDescriptors < 1 || maxIdentityBytes < 1 || maxAttrValueBytes < 1) {
      throw new IllegalArgumentException("limits must be positive: " + this);
    }
  }

  /** 10 000 records, 1 000 descriptors, 1 024-byte identity fields, 4 096-byte attrs/values. */
  public static Limits defaults() {
    return new Limits(10_000, 1_000, 1_024, 4_096);
  }
}
