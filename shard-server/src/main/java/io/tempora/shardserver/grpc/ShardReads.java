package io.tempora.shardserver.grpc;

import io.tempora.engine.Engine;
import io.tempora.engine.Reader;
import io.tempora.engine.Reader.EntitySummary;
import io.tempora.engine.Stats;
import io.tempora.engine.model.EntityEvent;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.ListEntityChangesRequest;
import io.tempora.proto.v1.ListEntityChangesResponse;
import java.util.List;

/**
 * The reads of TemporaService that the engine offers only in pieces: entity pages, event pages cut
 * at transaction boundaries, and statistics (read from the counters the store maintains).
 * Thread-safe.
 */
public final class ShardReads {
  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1000;
  static final int DEFAULT_EVENT_PAGE = 1000;
  static final int MAX_EVENT_PAGE = 10_000;

  private final Engine engine;
  private final Reader reader;

  /**
   * @param engine the shard's engine; the caller keeps ownership
   */
  public ShardReads(Engine engine) {
    this.engine = engine;
    this.reader = engine.reader();
  }

  /** A uint32 page size; the engine rejects values above its own limit with its own message. */
  static int pageSize(int raw, String field) {
    if (raw < 0) {
      throw new IllegalArgumentException(
          field + ": " + Integer.toUnsignedString(raw) + " is out of range");
    }
    return raw;
  }

  private static int bounded(int raw, int dflt, int max, String field) {
    if (raw < 0 || raw > max) {
      throw new IllegalArgumentException(
          field + ": " + Integer.toUnsignedString(raw) + " must be between 0 and " + max);
    }
    return raw == 0 ? dflt : raw;
  }

  ListEntitiesResponse listEntities(ListEntitiesRequest req) {
    int size = bounded(req.getPageSize(), DEFAULT_PAGE, MAX_PAGE, "page_size");
    int version = engine.ontology().version();
    // One more than asked tells whether another page exists.
    List<EntitySummary> page = reader.listEntities(req.getAfterId(), size + 1);
    ListEntitiesResponse.Builder b = ListEntitiesResponse.newBuilder().setOntologyVersion(version);
    for (EntitySummary e : page.subList(0, Math.min(size, page.size()))) {
      b.addEntitiesBuilder()
          .setEntityId(e.entityId())
          .addAllMembers(e.members().stream().map(ResponseMapper::identity).toList());
    }
    if (page.size() > size) {
      b.setNextAfterId(page.get(size - 1).entityId());
    }
    return b.build();
  }

  ListEntityChangesResponse listEntityChanges(ListEntityChangesRequest req) {
    int size = bounded(req.getPageSize(), DEFAULT_EVENT_PAGE, MAX_EVENT_PAGE, "page_size");
    // 0: from the first kept event; an older from_tx gets FAILED_PRECONDITION (retention).
    long from = req.getFromTx() == 0 ? reader.firstEventTx() : req.getFromTx();
    long skip = req.getFromTx() == 0 ? 0 : req.getFromIndex();
    if (skip < 0) {
      throw new IllegalArgumentException(
          "from_index: " + Long.toUnsignedString(skip) + " must be at most " + Long.MAX_VALUE);
    }
    int version = engine.ontology().version();
    long lastTx = reader.lastTx();
    // One more than asked tells where the page may end.
    List<EntityEvent> got = reader.events(from, skip, size + 1);
    List<EntityEvent> events = got;
    long next;
    long nextIndex = 0;
    if (got.isEmpty()) {
      next = from;
      nextIndex = skip;
    } else if (got.size() <= size) {
      next = got.get(got.size() - 1).tx() + 1;
    } else {
      // Cut back to whole transactions; a first transaction larger than the page is split.
      long cut = got.get(size).tx();
      int end = size;
      while (end > 0 && got.get(end - 1).tx() == cut) {
        end--;
      }
      if (end > 0) {
        events = got.subList(0, end);
        next = cut;
      } else {
        events = got.subList(0, size);
        next = cut;
        nextIndex = (cut == from ? skip : 0) + size;
      }
    }
    boolean more =
        got.size() > events.size() || !events.isEmpty() && !reader.events(next, 1).isEmpty();
    ListEntityChangesResponse.Builder b =
        ListEntityChangesResponse.newBuilder()
            .setNextFromTx(next)
            .setNextFromIndex(nextIndex)
            .setHasMore(more && lastTx >= next)
            .setLastTx(lastTx)
            .setOntologyVersion(version);
    events.forEach(e -> b.addEvents(ResponseMapper.event(e)));
    return b.build();
  }

  /** O(1): the counters the store maintains with every write. */
  public GetStatsResponse stats() {
    Stats st = reader.stats();
    return GetStatsResponse.newBuilder()
        .setRecords(st.records())
        .setEntities(st.entities())
        .setConflicts(st.conflicts())
        .setLastTx(st.lastTx())
        .setOntologyVersion(st.ontologyVersion())
        .build();
  }
}
