package io.tempora.persistence.rocks;

import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.model.RecordVersion.ChangeKind;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.codec.Dictionary;
import io.tempora.persistence.codec.ValueCodec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The raw baseline of the storage benchmark: the same records serialized with the store's own
 * record codec, written as plain puts (one key per record, into {@code records}) of a database
 * opened with the same options, one {@code WriteBatch} per request, {@code sync=true} for {@code
 * immediate} and {@code sync=false} otherwise. No interner rows, indexes, links or conflicts.
 * Thread-safe; the caller closes it.
 */
public final class StorageBaseline implements AutoCloseable {
  private final RocksStore rocks;
  private final WriteOptions options;
  private final Dictionary dictionary = new MapDictionary();
  private final AtomicLong nextRid = new AtomicLong(1);

  private StorageBaseline(RocksStore rocks, boolean sync) {
    this.rocks = rocks;
    this.options = new WriteOptions().setSync(sync);
  }

  /** Opens a fresh database in {@code dir} with the options of {@code config}. */
  public static StorageBaseline open(Path dir, StorageConfig config) {
    return new StorageBaseline(
        RocksStore.open(dir, config), config.durability() == Durability.IMMEDIATE);
  }

  /** Writes one request: each record serialized as a record version under its own key. */
  public void write(List<RecordInput> request) {
    try (WriteBatch batch = new WriteBatch()) {
      for (RecordInput in : request) {
        long rid = nextRid.getAndIncrement();
        RecordVersion v =
            new RecordVersion(
                rid, in.identity(), 1, rid, ChangeKind.CREATED, Descriptors.of(in.descriptors()));
        batch.put(rocks.handle(Cf.RECORDS), Keys.u64(rid), ValueCodec.recordVersion(v, dictionary));
      }
      rocks.db().write(options, batch);
    } catch (RocksDBException e) {
      throw RocksStore.failure("baseline write", Cf.RECORDS, e);
    }
  }

  @Override
  public void close() {
    options.close();
    rocks.close();
  }

  /** Ids for strings from a heap map: the baseline pays no interner rows. */
  private static final class MapDictionary implements Dictionary {
    private final Map<String, Long> ids = new ConcurrentHashMap<>();

    @Override
    public long id(Kind kind, String s) {
      return ids.computeIfAbsent(kind.name() + ":" + s, k -> (long) ids.size() + 1);
    }

    @Override
    public String string(Kind kind, long id) {
      throw new UnsupportedOperationException("the baseline only writes");
    }
  }
}
