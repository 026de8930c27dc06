package io.tempora.shardserver.grpc;

import io.tempora.engine.Engine;
import io.tempora.engine.model.RecordInput;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Activation of what a slot move staged on its target (docs/distributed.md "Rebalancing"): the
 * whole activation of FinishImport, and the activation of single identities that a client write
 * reaches while it runs (§5: a write to a still-staged identity activates it first). Staged records
 * are ingested through the engine entity by entity ({@link Engine#upsertMoved}: moved entities keep
 * their ids), then unstaged; every such step holds {@link SlotStore#activationLock}, so a record is
 * activated once, and a write applied after its identity's activation is never overwritten by the
 * staged copy (nor a delete undone). Thread-safe.
 */
final class StagedActivation {
  /** Directory rows per write. */
  private static final int HOME_PAGE = 5000;

  private final Engine engine;
  private final SlotStore slots;

  StagedActivation(Engine engine, SlotStore slots) {
    this.engine = engine;
    this.slots = slots;
  }

  /**
   * Activates (or, with {@code abort}, drops) everything staged: records in transactions of at most
   * {@code batch} whole entities' records, then directory rows; ends the staging.
   *
   * @return {records, directory rows}
   */
  long[] finish(int batch, boolean abort) {
    long records = 0;
    long homes = 0;
    while (true) {
      synchronized (slots.activationLock()) {
        List<byte[][]> page = slots.staged(batch);
        if (page.isEmpty()) {
          break;
        }
        if (!abort) {
          page = wholeEntities(page, batch);
          upsert(page);
        }
        slots.unstage(page.stream().map(kv -> kv[0]).toList());
        records += page.size();
      }
    }
    while (true) {
      synchronized (slots.activationLock()) {
        List<byte[][]> page = slots.stagedHomes(HOME_PAGE);
        if (page.isEmpty()) {
          break;
        }
        if (abort) {
          slots.unstage(page.stream().map(kv -> kv[0]).toList());
        } else {
          slots.activateHomes(page);
        }
        homes += page.size();
      }
    }
    slots.endStaging();
    return new long[] {records, homes};
  }

  /**
   * If a flipped move's staged rows are being activated here ({@link SlotStore#activatingMove}):
   * activates the staged records of the entities holding {@code recordKeys} and the staged
   * directory rows of {@code homeKeys}, before a client write (or directory claim) of them is
   * applied. Nothing otherwise.
   *
   * @return records activated
   */
  int activate(List<byte[]> recordKeys, List<byte[]> homeKeys) {
    if (slots.activatingMove() == null) {
      return 0;
    }
    int n = 0;
    synchronized (slots.activationLock()) {
      for (byte[] key : recordKeys) {
        byte[] entity = slots.stagedEntity(key);
        if (entity == null) {
          continue; // not staged, or activated already
        }
        int limit = engine.config().limits().maxRecords();
        while (true) {
          List<byte[][]> rows = slots.stagedOf(entity, limit);
          if (rows.isEmpty()) {
            break;
          }
          upsert(rows);
          slots.unstage(rows.stream().map(kv -> kv[0]).toList());
          n += rows.size();
        }
      }
      List<byte[][]> homes = new ArrayList<>();
      for (byte[] key : homeKeys) {
        byte[][] row = slots.stagedHome(key);
        if (row != null) {
          homes.add(row);
        }
      }
      if (!homes.isEmpty()) {
        slots.activateHomes(homes);
      }
    }
    return n;
  }

  /** Ingests staged record rows through the engine, keeping their former entity ids. */
  private void upsert(List<byte[][]> page) {
    Map<io.tempora.proto.v1.Identity, Record> latest = new LinkedHashMap<>();
    Map<io.tempora.proto.v1.Identity, Long> entityOf = new HashMap<>();
    for (byte[][] kv : page) {
      Record r = parseRecord(kv[1]);
      latest.put(r.getIdentity(), r);
      entityOf.put(r.getIdentity(), ByteBuffer.wrap(kv[0], 1, 8).getLong());
    }
    List<RecordInput> inputs =
        RequestMapper.records(IngestRequest.newBuilder().addAllRecords(latest.values()).build());
    // The moved entities keep their ids where this shard can (docs/decisions.md D3).
    Map<io.tempora.engine.model.Identity, Long> former = new HashMap<>();
    int j = 0;
    for (io.tempora.proto.v1.Identity id : latest.keySet()) {
      former.put(inputs.get(j++).identity(), entityOf.get(id));
    }
    engine.upsertMoved(inputs, former);
  }

  /**
   * A full page of staged rows cut back to whole entities (rows are ordered by entity), so that an
   * entity is activated in one transaction and keeps its id; a page holding one entity stays whole.
   */
  private static List<byte[][]> wholeEntities(List<byte[][]> page, int limit) {
    if (page.size() < limit) {
      return page; // the last rows staged
    }
    long last = ByteBuffer.wrap(page.get(page.size() - 1)[0], 1, 8).getLong();
    int end = page.size();
    while (end > 0 && ByteBuffer.wrap(page.get(end - 1)[0], 1, 8).getLong() == last) {
      end--;
    }
    return end == 0 ? page : page.subList(0, end);
  }

  private static Record parseRecord(byte[] v) {
    try {
      return Record.parseFrom(v);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new io.tempora.engine.store.StoreException(
          "directory: corrupt staged record: " + e.getMessage(), e);
    }
  }
}
