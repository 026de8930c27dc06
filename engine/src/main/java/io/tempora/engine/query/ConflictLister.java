package io.tempora.engine.query;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictOrder;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.store.ConflictEntry;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.StoreView;
import io.tempora.engine.temporal.Interval;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * ListConflicts (DOMAIN.md §7.4): filtered, ordered, paginated by an opaque token holding the last
 * item's sort key and a digest of the filters, so a page is the first items after that key on the
 * state at the time of the call.
 */
public final class ConflictLister {
  /** Page size used when the request says 0. */
  public static final int DEFAULT_PAGE_SIZE = 100;

  /** Largest page size. */
  public static final int MAX_PAGE_SIZE = 1000;

  private final StoreView view;

  public ConflictLister(StoreView view) {
    this.view = view;
  }

  /** Lists one page; bad filters, sizes or tokens are {@link IllegalArgumentException}. */
  public ConflictPage list(ConflictFilter f, int pageSize, String pageToken, int ontologyVersion) {
    Interval window = window(f);
    if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw new IllegalArgumentException(
          "page_size: " + pageSize + " must be between 0 and " + MAX_PAGE_SIZE);
    }
    int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : pageSize;
    byte[] digest = digest(f);
    byte[] after = pageToken == null || pageToken.isEmpty() ? null : decode(pageToken, digest);
    List<ConflictEntry> page = new ArrayList<>();
    boolean more;
    if (f.entityId() != null) {
      more = collect(entityItems(f.entityId(), after), f, window, size, page);
    } else {
      byte[] lo = after;
      byte[] hi = null;
      if (f.entityType() != null) {
        byte[] prefix = ConflictOrder.typePrefix(f.entityType());
        if (lo == null || ConflictOrder.compare(lo, prefix) < 0) {
          lo = Arrays.copyOf(prefix, prefix.length);
          lo = predecessorBound(lo);
        }
        hi = ConflictOrder.prefixEnd(prefix);
      }
      try (Cursor<ConflictEntry> c = view.conflictRange(lo, hi)) {
        more = collect(c, f, window, size, page);
      }
    }
    List<ConflictItem> items = page.stream().map(ConflictEntry::item).toList();
    String next = more ? encode(digest, page.get(page.size() - 1).sortKey()) : null;
    return new ConflictPage(items, next, ontologyVersion);
  }

  private static Interval window(ConflictFilter f) {
    if (!f.hasWindow()) {
      return null;
    }
    long s = f.windowStart() == null ? Interval.NEG_INF : f.windowStart();
    long e = f.windowEnd() == null ? Interval.POS_INF : f.windowEnd();
    Query.checkWindow(s, e);
    return new Interval(s, e);
  }

  /** An exclusive lower bound that admits {@code key} itself: the key minus its last byte. */
  private static byte[] predecessorBound(byte[] key) {
    // Every key of a type starts with the type prefix, which is longer than this bound and
    // greater than it, so an exclusive scan from the shortened prefix includes them all.
    return Arrays.copyOf(key, key.length - 1);
  }

  private boolean collect(
      java.util.Iterator<ConflictEntry> it,
      ConflictFilter f,
      Interval window,
      int size,
      List<ConflictEntry> page) {
    while (it.hasNext()) {
      ConflictEntry e = it.next();
      if (!matches(e.item(), f, window)) {
        continue;
      }
      if (page.size() == size) {
        return true;
      }
      page.add(e);
    }
    return false;
  }

  private static boolean matches(ConflictItem item, ConflictFilter f, Interval window) {
    return (window == null || item.interval().overlaps(window))
        && (f.attribute() == null || f.attribute().equals(item.attribute()))
        && (f.kinds().isEmpty() || f.kinds().contains(item.kind()))
        && (f.entityType() == null || f.entityType().equals(item.entityType()));
  }

  private Cursor<ConflictEntry> entityItems(long requested, byte[] after) {
    long id = resolve(requested);
    TreeSet<ConflictEntry> all =
        new TreeSet<>(Comparator.comparing(ConflictEntry::sortKey, ConflictOrder::compare));
    if (id != 0) {
      for (String unit : view.conflictUnits(id).toList()) {
        for (ConflictItem item : view.conflicts(unit)) {
          if (item.entityIds().contains(id)) {
            byte[] key = ConflictOrder.key(item);
            if (after == null || ConflictOrder.compare(key, after) > 0) {
              all.add(new ConflictEntry(key, item));
            }
          }
        }
      }
    }
    return Cursor.of(all.iterator());
  }

  private long resolve(long id) {
    EntityRow row = view.entity(id);
    while (row != null && row.status() == EntityRow.Status.MERGED) {
      row = view.entity(row.mergedInto());
    }
    return row == null || row.status() != EntityRow.Status.ACTIVE ? 0 : row.entityId();
  }

  private static byte[] digest(ConflictFilter f) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      List<String> kinds = f.kinds().stream().map(Enum::name).sorted().toList();
      String canon =
          f.windowStart()
              + "|"
              + f.windowEnd()
              + "|"
              + f.attribute()
              + "|"
              + kinds
              + "|"
              + f.entityType()
              + "|"
              + f.entityId();
      return Arrays.copyOf(md.digest(canon.getBytes(StandardCharsets.UTF_8)), 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing", e);
    }
  }

  private static String encode(byte[] digest, byte[] key) {
    ByteBuffer b = ByteBuffer.allocate(1 + digest.length + key.length);
    b.put((byte) 1).put(digest).put(key);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  private static byte[] decode(String token, byte[] digest) {
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("page_token: malformed");
    }
    if (raw.length < 1 + digest.length || raw[0] != 1) {
      throw new IllegalArgumentException("page_token: malformed");
    }
    if (!Arrays.equals(Arrays.copyOfRange(raw, 1, 1 + digest.length), digest)) {
      throw new IllegalArgumentException("page_token: was issued for other filters");
    }
    return Arrays.copyOfRange(raw, 1 + digest.length, raw.length);
  }
}
