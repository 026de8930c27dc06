package io.tempora.persistence.rocks;

import io.tempora.engine.store.StoreException;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.WtfEight;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The incremental, append-only string dictionaries of STORAGE.md §3. A string first written by a
 * transaction gets the next id of its kind; both rows go into that transaction's batch and are
 * never rewritten. Reads never intern. Two LRU caches of bounded size hold committed entries only,
 * so an aborted transaction leaves no id behind. Thread-safe.
 */
final class Interner {
  // equals and hashCode written out (the same values a record derives): these are the keys of the
  // hot interner maps, and the derived methods did not always inline (docs/BENCHMARKS.md).
  private record Str(Kind kind, String s) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Str x && kind == x.kind && Objects.equals(s, x.s);
    }

    @Override
    public int hashCode() {
      return 31 * Objects.hashCode(kind) + Objects.hashCode(s);
    }
  }

  private record Id(Kind kind, long id) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Id x && kind == x.kind && id == x.id;
    }

    @Override
    public int hashCode() {
      return 31 * Objects.hashCode(kind) + Long.hashCode(id);
    }
  }

  private final Map<Str, Long> ids;
  private final Map<Id, String> strings;
  private final EnumMap<Kind, Long> next = new EnumMap<>(Kind.class);

  Interner(int cacheEntries, Map<Kind, Long> nextIds) {
    this.ids = lru(cacheEntries);
    this.strings = lru(cacheEntries);
    next.putAll(nextIds);
  }

  private static <K, V> Map<K, V> lru(int max) {
    return java.util.Collections.synchronizedMap(
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
            return size() > max;
          }
        });
  }

  /** Meta key of a kind's counter. */
  static String counterName(Kind kind) {
    return switch (kind) {
      case ATTRIBUTE -> "next_attr";
      case VALUE -> "next_value";
      case TYPE -> "next_type";
      case PERSPECTIVE -> "next_persp";
    };
  }

  /** The id of a string, if it was ever interned as {@code source} sees it. */
  OptionalLong find(Source source, Kind kind, String s) {
    Str key = new Str(kind, s);
    Long cached = ids.get(key);
    if (cached != null) {
      return OptionalLong.of(cached);
    }
    byte[] v = source.get(Cf.INTERNER, Keys.internString(kind, s));
    if (v == null) {
      return OptionalLong.empty();
    }
    long id = Values.readId(v);
    if (!source.isTransactional()) {
      ids.put(key, id);
    }
    return OptionalLong.of(id);
  }

  /** The string of an id in use; a missing row means a damaged dictionary. */
  String string(Source source, Kind kind, long id) {
    Id key = new Id(kind, id);
    String cached = strings.get(key);
    if (cached != null) {
      return cached;
    }
    byte[] v = source.get(Cf.INTERNER, Keys.internId(kind, id));
    if (v == null) {
      throw new StoreException(
          "interner: no string for "
              + kind.name().toLowerCase(java.util.Locale.ROOT)
              + " id "
              + id);
    }
    String s = Values.readString(v);
    if (!source.isTransactional()) {
      strings.put(key, s);
    }
    return s;
  }

  /** Starts the allocations of one transaction. */
  Pending begin() {
    synchronized (next) {
      return new Pending(new EnumMap<>(next));
    }
  }

  /**
   * Advances the id counters past a committed transaction's allocations; called under the writer
   * permit, before the next transaction begins.
   */
  void committed(Pending p) {
    synchronized (next) {
      next.putAll(p.next);
    }
  }

  /**
   * Puts a committed transaction's new strings into the caches. May run after the writer permit is
   * released (entries never change once committed; a miss reads RocksDB); idempotent.
   */
  void publish(Pending p) {
    synchronized (ids) {
      p.added.forEach((k, id) -> ids.put(k, id));
    }
    synchronized (strings) {
      p.added.forEach((k, id) -> strings.put(new Id(k.kind(), id), k.s()));
    }
  }

  /** Found ids the writer remembers at most (see {@link Pending#intern}). */
  static final int KNOWN_MEMO = 8_192;

  /**
   * Committed ids the writer found, kept across its transactions: only the thread holding the
   * writer permit (one transaction at a time) touches it, so it needs no lock, unlike the shared
   * caches, which readers and the publishing request threads use too. Entries never change once
   * committed, and a lookup that finds one found a committed row (a transaction's own strings are
   * in {@link Pending#added}), so an aborted transaction leaves nothing wrong here.
   */
  private final Map<Str, Long> known = new HashMap<>();

  /** The strings one transaction interned; discarded on abort. */
  final class Pending {
    private final EnumMap<Kind, Long> next;
    private final Map<Str, Long> added = new HashMap<>();
    private final EnumSet<Kind> advanced = EnumSet.noneOf(Kind.class);

    private Pending(EnumMap<Kind, Long> next) {
      this.next = next;
    }

    /**
     * The id of a string, allocating the next one (both rows into {@code batch}) if it is new. Ids
     * found are remembered (they never change) across the writer's transactions, up to {@link
     * #KNOWN_MEMO} strings: beyond that the memo starts again, so a transaction touching every
     * string (an ontology switch) keeps a bounded heap.
     */
    long intern(Source source, Batch batch, Kind kind, String s) {
      Str key = new Str(kind, s);
      Long mine = added.get(key);
      if (mine == null) {
        mine = known.get(key);
      }
      if (mine != null) {
        return mine;
      }
      OptionalLong found = find(source, kind, s);
      if (found.isPresent()) {
        if (known.size() >= KNOWN_MEMO) {
          known.clear();
        }
        known.put(key, found.getAsLong());
        return found.getAsLong();
      }
      long id = next.get(kind);
      long limit = kind.width() == 8 ? Long.MAX_VALUE : 0xFFFFFFFFL;
      if (id >= limit) {
        throw new StoreException("interner: " + kind + " ids exhausted");
      }
      next.put(kind, id + 1);
      advanced.add(kind);
      added.put(key, id);
      batch.put(Cf.INTERNER, Keys.internId(kind, id), Values.string(s));
      batch.put(Cf.INTERNER, Keys.internString(kind, s), Values.id(id));
      return id;
    }

    /** Puts the advanced counters ({@code meta/next_*}) into the batch; once, before commit. */
    void writeCounters(Batch batch) {
      for (Kind kind : advanced) {
        batch.put(Cf.META, Keys.meta(counterName(kind)), Values.id(next.get(kind)));
      }
    }

    boolean isEmpty() {
      return added.isEmpty();
    }
  }

  /** Small raw values of the interner and meta rows: u8 layout 1, then the payload. */
  static final class Values {
    private Values() {}

    static byte[] id(long id) {
      return ByteBuffer.allocate(9).put((byte) 1).putLong(id).array();
    }

    static long readId(byte[] v) {
      check(v, 9);
      return ByteBuffer.wrap(v, 1, 8).getLong();
    }

    static byte[] string(String s) {
      byte[] b = WtfEight.encode(s);
      return ByteBuffer.allocate(1 + b.length).put((byte) 1).put(b).array();
    }

    static String readString(byte[] v) {
      check(v, 1);
      return WtfEight.decode(v, 1, v.length - 1);
    }

    private static void check(byte[] v, int min) {
      if (v.length < min || v[0] != 1) {
        throw new StoreException("unknown value layout " + (v.length == 0 ? -1 : v[0] & 0xFF));
      }
    }
  }
}
