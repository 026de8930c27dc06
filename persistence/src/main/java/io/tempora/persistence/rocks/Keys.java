package io.tempora.persistence.rocks;

import io.tempora.engine.ontology.TupleKey;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.WtfEight;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Key encodings (STORAGE.md §2, docs/storage.md): fixed-width big-endian integers, so byte order is
 * unsigned numeric order; strings last in a key are raw (WTF-8, see {@link WtfEight}).
 */
final class Keys {
  /** The resolution generation every generation-prefixed key uses until re-resolution exists. */
  static final byte GENERATION = 0;

  /** Signature kind of a key tuple (STORAGE.md §2). */
  private static final int SIG_KEY_TUPLE = 1;

  private static final byte[] SIG_MAGIC = "TSIG1".getBytes(StandardCharsets.US_ASCII);

  private Keys() {}

  static byte[] u64(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  static long u64(byte[] b, int off) {
    return ByteBuffer.wrap(b, off, 8).getLong();
  }

  static byte[] meta(String name) {
    return name.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] ontology(int version) {
    return ByteBuffer.allocate(15)
        .put("ontology/v/".getBytes(StandardCharsets.US_ASCII))
        .putInt(version)
        .array();
  }

  /** Two u64 ids: (rid, ...) or (eid, ...) rows. */
  static byte[] pair(long a, long b) {
    return ByteBuffer.allocate(16).putLong(a).putLong(b).array();
  }

  static byte[] u64AndString(long a, String s) {
    byte[] str = WtfEight.encode(s);
    return ByteBuffer.allocate(8 + str.length).putLong(a).put(str).array();
  }

  static byte[] recordVersion(long rid, int version) {
    return ByteBuffer.allocate(12).putLong(rid).putInt(version).array();
  }

  static byte[] identity(long type, long persp, String uid) {
    byte[] u = WtfEight.encode(uid);
    return ByteBuffer.allocate(8 + u.length).putInt((int) type).putInt((int) persp).put(u).array();
  }

  static byte[] attrValuePrefix(long attr, long value) {
    return ByteBuffer.allocate(12).putInt((int) attr).putLong(value).array();
  }

  static byte[] attrValue(long attr, long value, long rid) {
    return ByteBuffer.allocate(20).putInt((int) attr).putLong(value).putLong(rid).array();
  }

  static byte[] postingPrefix(TupleKey key) {
    return ByteBuffer.allocate(17).put(GENERATION).put(signature(key)).array();
  }

  static byte[] posting(TupleKey key, long rid) {
    return posting(postingPrefix(key), rid);
  }

  /** A posting key from its 17-byte prefix ({@link #postingPrefix(TupleKey)}). */
  static byte[] posting(byte[] prefix, long rid) {
    return ByteBuffer.allocate(25).put(prefix).putLong(rid).array();
  }

  /** {@code meta} name prefix of the tx-time marks: {@code tx_time/} + u64 UTC seconds. */
  static final byte[] TX_TIME = meta("tx_time/");

  /** The tx-time mark of {@code epochSeconds}. */
  static byte[] txTime(long epochSeconds) {
    return ByteBuffer.allocate(TX_TIME.length + 8).put(TX_TIME).putLong(epochSeconds).array();
  }

  static byte[] event(long tx, int ordinal) {
    return ByteBuffer.allocate(10).putLong(tx).putShort((short) ordinal).array();
  }

  static byte[] internId(Kind kind, long id) {
    ByteBuffer b = ByteBuffer.allocate(1 + kind.width()).put((byte) kind.tag());
    return (kind.width() == 8 ? b.putLong(id) : b.putInt((int) id)).array();
  }

  static byte[] internString(Kind kind, String s) {
    byte[] str = WtfEight.encode(s);
    return ByteBuffer.allocate(1 + str.length)
        .put((byte) Character.toLowerCase(kind.tag()))
        .put(str)
        .array();
  }

  /** The last 8 bytes of a key as an id (rid or eid ending a key). */
  static long lastU64(byte[] key) {
    return u64(key, key.length - 8);
  }

  /** The first key after every key starting with {@code prefix}, or null if there is none. */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = Arrays.copyOf(prefix, prefix.length);
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xFF) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return null;
  }

  /**
   * The 16-byte signature of a key tuple: SHA-256 over "TSIG1", u8 kind, u16 n and n strings (u32
   * length, UTF-8): entity type, key name, then the values in key-attribute order.
   */
  static byte[] signature(TupleKey key) {
    List<String> parts = new ArrayList<>();
    parts.add(key.entityType());
    parts.add(key.keyName());
    parts.addAll(key.values());
    MessageDigest sha = sha256();
    sha.update(SIG_MAGIC);
    sha.update((byte) SIG_KEY_TUPLE);
    sha.update(ByteBuffer.allocate(2).putShort((short) parts.size()).array());
    for (String p : parts) {
      byte[] b = WtfEight.encode(p);
      sha.update(ByteBuffer.allocate(4).putInt(b.length).array());
      sha.update(b);
    }
    return Arrays.copyOf(sha.digest(), 16);
  }

  // One digest per thread: MessageDigest.getInstance costs more than hashing a short tuple.
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is part of every JDK", e);
            }
          });

  private static MessageDigest sha256() {
    MessageDigest sha = SHA256.get();
    sha.reset();
    return sha;
  }
}
