package io.tempora.engine.oracle;

import io.tempora.engine.model.Identity;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * DOMAIN.md §0 byte order, written independently of the engine: strings compare as their UTF-8
 * bytes, unsigned and lexicographically (a proper prefix first).
 */
final class Utf8Order {
  static final Comparator<String> STRINGS = Utf8Order::compare;

  /** Canonical record order: entity type, perspective, uid. */
  static final Comparator<Identity> IDENTITIES =
      Comparator.comparing(Identity::entityType, STRINGS)
          .thenComparing(Identity::perspective, STRINGS)
          .thenComparing(Identity::uid, STRINGS);

  static final Comparator<List<String>> STRING_LISTS = lists(STRINGS);

  static final Comparator<List<Identity>> IDENTITY_LISTS = lists(IDENTITIES);

  private Utf8Order() {}

  static int compare(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  /** Element-wise list order; a proper prefix sorts first. */
  static <T> Comparator<List<T>> lists(Comparator<? super T> element) {
    return (a, b) -> {
      for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
        int c = element.compare(a.get(i), b.get(i));
        if (c != 0) {
          return c;
        }
      }
      return Integer.compare(a.size(), b.size());
    };
  }
}
