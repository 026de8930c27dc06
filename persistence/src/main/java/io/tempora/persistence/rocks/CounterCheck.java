package io.tempora.persistence.rocks;

import io.tempora.engine.model.Ids;
import io.tempora.engine.store.StoreMeta;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.ValueCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.rocksdb.RocksIterator;

/**
 * STORAGE.md §5 step 4: each counter is above the highest id it allocated, found with one {@code
 * seekForPrev} in this shard's id range (record and entity ids) or in the interner's id rows of the
 * kind. Reads six keys whatever the data size. Used at open and by {@code tempora verify}.
 */
final class CounterCheck {
  private CounterCheck() {}

  /** One line per counter not above its highest id; empty when all are. */
  static List<String> problems(RocksStore rocks, int shard) {
    List<String> out = new ArrayList<>();
    byte[] metaBytes = rocks.get(Cf.META, RocksView.STORE_META);
    StoreMeta meta = metaBytes == null ? StoreMeta.INITIAL : ValueCodec.storeMeta(metaBytes);
    check(
        out,
        "store_meta next record",
        meta.nextRecord(),
        highestId(rocks, Cf.RECORDS, shard),
        Ids::counter);
    check(
        out,
        "store_meta next entity",
        meta.nextEntity(),
        highestId(rocks, Cf.ENTITY_IDS, shard),
        Ids::counter);
    for (Kind k : Kind.values()) {
      long next = RocksShardStore.readLong(rocks.get(Cf.META, Keys.meta(Interner.counterName(k))));
      check(
          out,
          "meta/" + Interner.counterName(k),
          next == 0 ? 1 : next,
          highestInterned(rocks, k),
          id -> id);
    }
    return out;
  }

  private static void check(
      List<String> out, String name, long next, long highest, LongUnaryOperator counterOf) {
    if (highest != -1 && counterOf.applyAsLong(highest) >= next) {
      out.add(name + " " + next + " <= highest id " + Long.toUnsignedString(highest));
    }
  }

  /** The highest u64 key of {@code cf} within {@code shard}'s id range, or -1. */
  private static long highestId(RocksStore rocks, Cf cf, int shard) {
    byte[] lo = Keys.u64((long) shard << 48);
    try (RocksIterator it = rocks.db().newIterator(rocks.handle(cf))) {
      it.seekForPrev(Keys.u64(Ids.of(shard, Ids.MAX_COUNTER)));
      if (!it.isValid() || Arrays.compareUnsigned(it.key(), lo) < 0) {
        return -1;
      }
      return Keys.u64(it.key(), 0);
    }
  }

  private static long highestInterned(RocksStore rocks, Kind k) {
    byte[] last = new byte[1 + k.width()];
    Arrays.fill(last, (byte) 0xFF);
    last[0] = (byte) k.tag();
    try (RocksIterator it = rocks.db().newIterator(rocks.handle(Cf.INTERNER))) {
      it.seekForPrev(last);
      if (!it.isValid() || it.key()[0] != (byte) k.tag()) {
        return -1;
      }
      byte[] key = it.key();
      return k.width() == 8
          ? Keys.u64(key, 1)
          : Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(key, 1, 4).getInt());
    }
  }
}
