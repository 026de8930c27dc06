package io.tempora.deploy.load;

import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.persistence.codec.Dictionary;
import io.tempora.persistence.codec.ValueCodec;
import io.tempora.persistence.rocks.RawRocksBaseline;
import io.tempora.proto.v1.Record;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code rocksdb} baseline: each workload request becomes one {@link RawRocksBaseline} write of
 * the records serialized as Tempora stores them ({@link ValueCodec#recordVersion}), one key per
 * record (its identity), and deletes of the deleted identities. Encoding is part of the timed work,
 * as it is in Tempora. Thread-safe; the creator closes it.
 */
final class RocksBaseline implements AutoCloseable {
  private final RawRocksBaseline db;
  private final InternDictionary dictionary = new InternDictionary();
  private final AtomicLong ids = new AtomicLong();

  private RocksBaseline(RawRocksBaseline db) {
    this.db = db;
  }

  static RocksBaseline open(Path dir, boolean sync) {
    return new RocksBaseline(RawRocksBaseline.open(dir, sync));
  }

  void write(Workload.Op op) {
    switch (op) {
      case Workload.Upsert u -> {
        List<byte[]> keys = new ArrayList<>(u.items());
        List<byte[]> values = new ArrayList<>(u.items());
        for (Record r : u.request().getRecordsList()) {
          Identity id = identity(r.getIdentity());
          List<Descriptor> ds = new ArrayList<>(r.getDescriptorsCount());
          for (io.tempora.proto.v1.Descriptor d : r.getDescriptorsList()) {
            ds.add(
                Descriptor.of(
                    d.getAttr(),
                    d.getValue(),
                    d.getInterval().hasStart() ? d.getInterval().getStart() : null,
                    d.getInterval().hasEnd() ? d.getInterval().getEnd() : null));
          }
          long n = ids.incrementAndGet();
          RecordVersion v =
              new RecordVersion(n, id, 1, n, RecordVersion.ChangeKind.CREATED, Descriptors.of(ds));
          keys.add(key(id));
          values.add(ValueCodec.recordVersion(v, dictionary));
        }
        db.write(keys, values, List.of());
      }
      case Workload.Delete d -> {
        List<byte[]> keys = new ArrayList<>(d.items());
        for (io.tempora.proto.v1.Identity id : d.request().getIdentitiesList()) {
          keys.add(key(identity(id)));
        }
        db.write(List.of(), List.of(), keys);
      }
    }
  }

  private static Identity identity(io.tempora.proto.v1.Identity id) {
    return Identity.of(id.getEntityType(), id.getPerspective(), id.getUid());
  }

  private static byte[] key(Identity id) {
    return (id.entityType() + '\0' + id.perspective() + '\0' + id.uid())
        .getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    db.close();
  }

  /** Strings to ids in memory, as the store's interner would give them. */
  private static final class InternDictionary implements Dictionary {
    private final Map<Kind, Map<String, Long>> ids = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong();

    @Override
    public long id(Kind kind, String s) {
      return ids.computeIfAbsent(kind, k -> new ConcurrentHashMap<>())
          .computeIfAbsent(s, k -> next.incrementAndGet());
    }

    @Override
    public String string(Kind kind, long id) {
      throw new UnsupportedOperationException("the baseline only writes");
    }
  }
}
