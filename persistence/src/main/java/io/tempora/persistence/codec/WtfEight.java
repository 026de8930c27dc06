package io.tempora.persistence.codec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Lossless string bytes for keys: UTF-8 for every well-formed string, and a lone surrogate as its
 * three-byte generalised UTF-8 form (WTF-8), so that two distinct Java strings never share bytes
 * (plain {@code getBytes(UTF_8)} maps every lone surrogate to {@code '?'}).
 */
public final class WtfEight {
  private WtfEight() {}

  /** Encodes a string. */
  public static byte[] encode(String s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      if (s.charAt(i) >= 0x80) {
        return encodeGeneral(s);
      }
    }
    // All ASCII (most keys and values): one byte per char, the same bytes as below.
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] encodeGeneral(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 8);
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp < 0x80) {
        out.write(cp);
      } else if (cp < 0x800) {
        out.write(0xC0 | (cp >>> 6));
        out.write(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out.write(0xE0 | (cp >>> 12));
        out.write(0x80 | ((cp >>> 6) & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      } else {
        out.write(0xF0 | (cp >>> 18));
        out.write(0x80 | ((cp >>> 12) & 0x3F));
        out.write(0x80 | ((cp >>> 6) & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      }
    }
    return out.toByteArray();
  }

  /** Decodes {@code len} bytes from {@code off}, the inverse of {@link #encode}. */
  public static String decode(byte[] b, int off, int len) {
    int end = off + len;
    boolean ascii = true;
    for (int i = off; i < end; i++) {
      if (b[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(b, off, len, StandardCharsets.US_ASCII);
    }
    return decodeGeneral(b, off, len);
  }

  private static String decodeGeneral(byte[] b, int off, int len) {
    StringBuilder sb = new StringBuilder(len);
    int i = off;
    int end = off + len;
    while (i < end) {
      int c = b[i] & 0xFF;
      int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
      int cp = n == 0 ? c : c & (0x3F >>> n);
      for (int k = 1; k <= n; k++) {
        if (i + k >= end) {
          throw new IllegalArgumentException("truncated string bytes at offset " + i);
        }
        cp = (cp << 6) | (b[i + k] & 0x3F);
      }
      sb.appendCodePoint(cp);
      i += n + 1;
    }
    return sb.toString();
  }
}
