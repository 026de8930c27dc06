package io.tempora.engine;

/**
 * Request limits of DOMAIN.md §2.2. Defaults from {@link #defaults()}; all must be positive.
 * Validation messages are DOMAIN.md's ({@code record 3: descriptor count 1200 exceeds limit 1000});
 * with {@link #withKeyNames} each also names the configuration key that sets the limit ({@code …
 * exceeds limit 1000 (limits.max_descriptors_per_record)}), so an operator knows what to change.
 *
 * @param maxRecords records (or identities) per request
 * @param maxDescriptors descriptors per record
 * @param maxIdentityBytes UTF-8 bytes per identity field
 * @param maxAttrValueBytes UTF-8 bytes per attribute or value
 * @param keyNames the configuration keys named in messages; {@link KeyNames#NONE} for none
 */
public record Limits(
    int maxRecords,
    int maxDescriptors,
    int maxIdentityBytes,
    int maxAttrValueBytes,
    KeyNames keyNames) {
  public Limits {
    if (maxRecords < 1 || maxDescriptors < 1 || maxIdentityBytes < 1 || maxAttrValueBytes < 1) {
      throw new IllegalArgumentException("limits must be positive: " + this);
    }
    if (keyNames == null) {
      throw new IllegalArgumentException("keyNames must not be null; use KeyNames.NONE");
    }
  }

  /** Limits whose messages name no configuration key. */
  public Limits(int maxRecords, int maxDescriptors, int maxIdentityBytes, int maxAttrValueBytes) {
    this(maxRecords, maxDescriptors, maxIdentityBytes, maxAttrValueBytes, KeyNames.NONE);
  }

  /** 10 000 records, 1 000 descriptors, 1 024-byte identity fields, 4 096-byte attrs/values. */
  public static Limits defaults() {
    return new Limits(10_000, 1_000, 1_024, 4_096);
  }

  /** A copy whose messages name {@code names}. */
  public Limits withKeyNames(KeyNames names) {
    return new Limits(maxRecords, maxDescriptors, maxIdentityBytes, maxAttrValueBytes, names);
  }

  /**
   * The configuration key of each limit, appended in parentheses to its messages; an empty name
   * appends nothing.
   *
   * @param maxRecords key of {@link Limits#maxRecords()}
   * @param maxDescriptors key of {@link Limits#maxDescriptors()}
   * @param maxIdentityBytes key of {@link Limits#maxIdentityBytes()}
   * @param maxAttrValueBytes key of {@link Limits#maxAttrValueBytes()}
   */
  public record KeyNames(
      String maxRecords, String maxDescriptors, String maxIdentityBytes, String maxAttrValueBytes) {
    /** No key names: the plain DOMAIN.md messages. */
    public static final KeyNames NONE = new KeyNames("", "", "", "");

    public KeyNames {
      if (maxRecords == null
          || maxDescriptors == null
          || maxIdentityBytes == null
          || maxAttrValueBytes == null) {
        throw new IllegalArgumentException("key names must not be null; use \"\" for none");
      }
    }
  }
}
