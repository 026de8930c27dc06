package io.tempora.engine;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictOrder;
import io.tempora.engine.conflict.EntityConflicts;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.EntityRow.Status;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.engine.query.ConflictLister;
import io.tempora.engine.query.ConflictPage;
import io.tempora.engine.query.Explainer;
import io.tempora.engine.query.Explanation;
import io.tempora.engine.query.Query;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.Store;
import io.tempora.engine.store.StoreCounts;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreView;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The read side of the engine (DOMAIN.md §7.4, §9, §10): each call opens one consistent store view,
 * so an answer never mixes two states. Thread-safe.
 */
public final class Reader {
  private final Store store;

  Reader(Store store) {
    this.store = store;
  }

  /** GetRecord; unknown identity → {@link NotFoundException}. */
  public RecordInfo getRecord(Identity identity) {
    try (StoreView v = store.view()) {
      OptionalLong rid = v.recordId(identity);
      if (rid.isEmpty()) {
        throw new NotFoundException("record " + identity + " not found");
      }
      RecordVersion cur = v.record(rid.getAsLong());
      boolean live = !cur.isDeleted();
      List<RecordVersion> history = v.history(cur.recordId()).toList();
      // Versions are numbered from 1: a history starting later lost its oldest to retention.
      boolean truncated = !history.isEmpty() && history.get(0).version() > 1;
      return new RecordInfo(
          cur.recordId(),
          live,
          cur.version(),
          cur.descriptors(),
          live ? v.entityOf(cur.recordId()) : 0,
          history,
          v.meta().ontologyVersion(),
          truncated ? v.historyFromTx() : 0);
    }
  }

  /** GetEntity over a window (null = all time); an id never issued → {@link NotFoundException}. */
  public EntityInfo getEntity(long id, Interval window) {
    try (StoreView v = store.view()) {
      EntityRow row = v.entity(id);
      if (row == null) {
        throw new NotFoundException("entity " + Long.toUnsignedString(id) + " not found");
      }
      Status status = row.status();
      while (row.status() == Status.MERGED) {
        row = v.entity(row.mergedInto());
      }
      int ov = v.meta().ontologyVersion();
      if (row.status() == Status.DELETED) {
        return new EntityInfo(
            id,
            row.entityId(),
            status,
            Status.DELETED,
            row.deletedTx(),
            row.entityType(),
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            ov);
      }
      long eid = row.entityId();
      List<LiveRecord> members = Query.loadMembers(v, eid);
      List<EntityInfo.Member> ms = new ArrayList<>();
      for (LiveRecord m : members) {
        ms.add(new EntityInfo.Member(m.identity(), m.recordId(), v.record(m.recordId()).version()));
      }
      return new EntityInfo(
          id,
          eid,
          status,
          Status.ACTIVE,
          0,
          row.entityType(),
          ms,
          EntityConflicts.golden(members, window),
          conflictsOf(v, eid),
          aliasesOf(v, eid),
          ov);
    }
  }

  private static List<ConflictItem> conflictsOf(StoreView v, long eid) {
    TreeMap<byte[], ConflictItem> sorted = new TreeMap<>(ConflictOrder::compare);
    for (String unit : v.conflictUnits(eid).toList()) {
      for (ConflictItem item : v.conflicts(unit)) {
        if (item.entityIds().contains(eid)) {
          sorted.put(ConflictOrder.key(item), item);
        }
      }
    }
    return new ArrayList<>(sorted.values());
  }

  private static List<Long> aliasesOf(StoreView v, long eid) {
    List<Long> out = new ArrayList<>();
    Deque<Long> todo = new ArrayDeque<>();
    todo.add(eid);
    while (!todo.isEmpty()) {
      for (long a : v.aliases(todo.poll()).toList()) {
        out.add(a);
        todo.add(a);
      }
    }
    out.sort(Long::compareUnsigned);
    return out;
  }

  /** Runs a query; invalid requests → {@link IllegalArgumentException}. */
  public QueryResult query(QueryRequest q) {
    Query.validate(q);
    try (StoreView v = store.view()) {
      return new Query(v).run(q, v.meta().ontologyVersion());
    }
  }

  /** Explains two identities. */
  public Explanation explain(Identity a, Identity b) {
    try (StoreView v = store.view()) {
      int ov = v.meta().ontologyVersion();
      return new Explainer(v, v.ontology(ov), ov).explain(a, b);
    }
  }

  /** Lists one page of conflicts. */
  public ConflictPage listConflicts(ConflictFilter filter, int pageSize, String pageToken) {
    try (StoreView v = store.view()) {
      return new ConflictLister(v).list(filter, pageSize, pageToken, v.meta().ontologyVersion());
    }
  }

  /**
   * An active entity with its members in canonical order.
   *
   * @param entityId the id
   * @param members member identities, canonical order
   */
  public record EntitySummary(long entityId, List<Identity> members) {}

  /** Active entities with id greater than {@code afterId} (unsigned), at most {@code limit}. */
  public List<EntitySummary> listEntities(long afterId, int limit) {
    try (StoreView v = store.view();
        Cursor<Long> ids = v.activeEntities(afterId)) {
      List<EntitySummary> out = new ArrayList<>();
      while (ids.hasNext() && out.size() < limit) {
        long id = ids.next();
        List<Identity> ms = new ArrayList<>();
        for (LiveRecord m : Query.loadMembers(v, id)) {
          ms.add(m.identity());
        }
        out.add(new EntitySummary(id, ms));
      }
      return out;
    }
  }

  /** Every active entity ordered by anchor (for tests and small stores). */
  public List<EntitySummary> partition() {
    List<EntitySummary> all = new ArrayList<>();
    long after = 0;
    while (true) {
      List<EntitySummary> page = listEntities(after, 1000);
      if (page.isEmpty()) {
        break;
      }
      all.addAll(page);
      after = page.get(page.size() - 1).entityId();
    }
    all.sort(Comparator.comparing(e -> e.members().get(0)));
    return all;
  }

  /**
   * Events with {@code tx >= fromTx}, at most {@code limit}; {@code fromTx <= 0} reads from the
   * first kept one.
   *
   * @throws PreconditionFailedException if {@code fromTx >= 1} lies before {@link #firstEventTx()}:
   *     event retention removed events the caller asked for (the message says "removed by
   *     retention" and names the first kept transaction)
   */
  public List<EntityEvent> events(long fromTx, int limit) {
    return events(fromTx, 0, limit);
  }

  /**
   * As {@link #events(long, int)}, starting at position {@code skip} (from 0, §6.2 order) of
   * transaction {@code fromTx}.
   */
  public List<EntityEvent> events(long fromTx, long skip, int limit) {
    List<EntityEvent> out = new ArrayList<>();
    try (StoreView v = store.view();
        Cursor<EntityEvent> c = v.events(Math.max(0, fromTx), fromTx >= 1 ? skip : 0)) {
      while (c.hasNext() && out.size() < limit) {
        out.add(c.next());
      }
    }
    // Checked after reading: retention raises it before it deletes.
    long first = store.firstEventTx();
    if (fromTx >= 1 && fromTx < first) {
      throw new PreconditionFailedException(
          "events before tx "
              + first
              + " were removed by retention (storage.events.retain_age, storage.events.retain_txs);"
              + " asked from tx "
              + fromTx
              + ": read from tx "
              + first
              + " on (from_tx 0 reads what is kept), or run a full reconciliation");
    }
    return out;
  }

  /** The first transaction whose events are kept (1 unless event retention removed some). */
  public long firstEventTx() {
    return store.firstEventTx();
  }

  /**
   * Live records holding {@code value} of {@code attr} somewhere in time (the value postings), in
   * record id order: what a router's incremental reconciliation reads to find the records sharing a
   * signature (docs/distributed.md).
   */
  public List<Identity> holders(String attr, String value) {
    try (StoreView v = store.view();
        Cursor<io.tempora.engine.store.Posting> ps = v.valuePostings(attr, value)) {
      List<Identity> out = new ArrayList<>();
      while (ps.hasNext()) {
        RecordVersion r = v.record(ps.next().recordId());
        if (!r.isDeleted()) {
          out.add(r.identity());
        }
      }
      return out;
    }
  }

  /**
   * The stored status of entity id {@code id} itself (aliases not followed); null if this shard has
   * no row of it.
   */
  public EntityRow.Status entityStatus(long id) {
    try (StoreView v = store.view()) {
      EntityRow row = v.entity(id);
      return row == null ? null : row.status();
    }
  }

  /**
   * Current members (canonical order) of an entity id, or an empty list when it is not active
   * (alias, deleted or unknown).
   */
  public List<Identity> membersOf(long entityId) {
    try (StoreView v = store.view()) {
      EntityRow row = v.entity(entityId);
      if (row == null || row.status() != Status.ACTIVE) {
        return List.of();
      }
      List<Identity> out = new ArrayList<>();
      for (LiveRecord m : Query.loadMembers(v, entityId)) {
        out.add(m.identity());
      }
      return out;
    }
  }

  /** The last transaction number consumed (0 = none). */
  public long lastTx() {
    try (StoreView v = store.view()) {
      return v.meta().lastTx();
    }
  }

  /** GetStats: the maintained counts and the meta of one view, in O(1). */
  public Stats stats() {
    try (StoreView v = store.view()) {
      StoreCounts c = v.counts();
      StoreMeta m = v.meta();
      return new Stats(c.records(), c.entities(), c.conflicts(), m.lastTx(), m.ontologyVersion());
    }
  }
}
