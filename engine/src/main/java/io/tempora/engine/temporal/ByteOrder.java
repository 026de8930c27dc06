package io.tempora.engine.temporal;

import java.util.Comparator;
import java.util.List;

/**
 * Compares strings by their UTF-8 encodings as unsigned bytes (DOMAIN.md §0). Comparing code points
 * gives exactly that order without encoding, unlike {@link String#compareTo}, which compares UTF-16
 * units.
 */
public final class ByteOrder {
  /** The byte-order comparator for strings. */
  public static final Comparator<String> STRINGS = ByteOrder::compare;

  /** Element-wise comparison of string lists, a proper prefix first. */
  public static final Comparator<List<String>> LISTS = ByteOrder::compareLists;

  private ByteOrder() {}

  /** Compares two strings in UTF-8 byte order. */
  public static int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  /** Compares two string lists element by element; a proper prefix sorts first. */
  public static int compareLists(List<String> a, List<String> b) {
    int n = Math.min(a.size(), b.size());
    for (int k = 0; k < n; k++) {
      int c = compare(a.get(k), b.get(k));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
