package io.tempora.router;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.engine.conflict.EntityConflicts;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ChangeFeedStateResponse;
import io.tempora.proto.internal.v1.ChangedRecordsRequest;
import io.tempora.proto.internal.v1.ChangedRecordsResponse;
import io.tempora.proto.internal.v1.LookupRecordsRequest;
import io.tempora.proto.internal.v1.LookupRecordsResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.ConflictItem;
import io.tempora.proto.v1.ConflictKind;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.EntityMember;
import io.tempora.proto.v1.EntityStatus;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryMatch;
import io.tempora.proto.v1.Record;
import io.tempora.shardserver.grpc.RequestMapper;
import io.tempora.shardserver.grpc.ResponseMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Reads of an entity a slot move split (docs/distributed.md "Known gaps", Gap B): a move takes the
 * records homed in its slots to the target, which keeps their entity's id (docs/decisions.md D3),
 * so an entity with records homed inside and outside the moved slots is active under the same id on
 * both shards, each holding part of its records, until the reconciliation after the move co-locates
 * it. This answers such an entity as one shard holding all its records would: GetEntity joins the
 * parts (members, aliases; golden record and DIRECT conflicts computed from all the member records
 * with the engine's own functions), and GetStats counts it once.
 */
final class SplitEntities {
  /** Identities per LookupRecords call (the shard's limit). */
  private static final int LOOKUP_PAGE = 10_000;

  private final List<ShardClient> shards;
  private final Fanout fanout;
  private final Supplier<Duration> deadline;

  SplitEntities(List<ShardClient> shards, Fanout fanout, Supplier<Duration> deadline) {
    this.shards = shards;
    this.fanout = fanout;
    this.deadline = deadline;
  }

  private ShardGrpc.ShardBlockingStub internal(ShardClient s) {
    return ShardGrpc.newBlockingStub(s.channel())
        .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withDeadlineAfter(deadline.get().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * An entity as one shard holding all its records would answer GetEntity, with its member records
   * (identity and current descriptors, read from the shards holding them) when asked for.
   */
  record Whole(GetEntityResponse answer, List<Record> records) {}

  /**
   * The entity {@code found} (an ACTIVE answer of shard {@code from}) with the parts of it that
   * other shards hold under the same id joined in; {@code found} itself when no other shard holds
   * it active (every entity but one a slot move split). The member records are read when the entity
   * is split or {@code withRecords} is set, else left empty.
   */
  Whole whole(
      GetEntityRequest request, GetEntityResponse found, ShardClient from, boolean withRecords) {
    long id = found.getResolved();
    GetEntityRequest ask = request.toBuilder().setEntityId(id).build();
    List<GetEntityResponse> others =
        fanout.all(
            s -> {
              if (s == from) {
                return null;
              }
              try {
                GetEntityResponse r = s.stub(deadline.get()).getEntity(ask);
                return r.getResolvedStatus() == EntityStatus.ENTITY_STATUS_ACTIVE
                        && r.getResolved() == id
                    ? r
                    : null;
              } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                  return null;
                }
                throw e;
              }
            });
    List<GetEntityResponse> parts = new ArrayList<>(List.of(found));
    List<ShardClient> holders = new ArrayList<>(List.of(from));
    for (int s = 0; s < others.size(); s++) {
      if (others.get(s) != null) {
        parts.add(others.get(s));
        holders.add(shards.get(s));
      }
    }
    if (parts.size() == 1 && !withRecords) {
      return new Whole(found, List.of());
    }
    List<Record> records = new ArrayList<>();
    for (int p = 0; p < parts.size(); p++) {
      records.addAll(
          liveRecords(
              holders.get(p),
              parts.get(p).getMembersList().stream().map(EntityMember::getIdentity).toList()));
    }
    return new Whole(parts.size() == 1 ? found : join(request, parts, records), records);
  }

  /** The live records of {@code ids} on {@code shard} (identity and current descriptors). */
  private List<Record> liveRecords(ShardClient shard, List<Identity> ids) {
    List<Record> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += LOOKUP_PAGE) {
      List<Identity> page = ids.subList(i, Math.min(ids.size(), i + LOOKUP_PAGE));
      LookupRecordsResponse r =
          Fanout.call(
              shard,
              s ->
                  internal(s)
                      .lookupRecords(
                          LookupRecordsRequest.newBuilder().addAllIdentities(page).build()));
      for (int k = 0; k < r.getRecordsCount(); k++) {
        if (r.getLive(k)) {
          out.add(r.getRecords(k));
        }
      }
    }
    return out;
  }

  /**
   * One answer from the parts of an entity (the first as the id's answer): members and aliases
   * united; the golden record (over the request's window) and the DIRECT conflict items computed
   * from all the member {@code records} as the engine does for one entity; the other conflict items
   * of the parts, each once, in DOMAIN.md §7.4 order.
   */
  static GetEntityResponse join(
      GetEntityRequest request, List<GetEntityResponse> parts, List<Record> records) {
    GetEntityResponse first = parts.getFirst();
    TreeMap<Identity, EntityMember> members = new TreeMap<>(Merges.CANONICAL);
    TreeSet<Long> aliases = new TreeSet<>(Long::compareUnsigned);
    Set<ConflictItem> conflicts = new LinkedHashSet<>();
    for (GetEntityResponse p : parts) {
      p.getMembersList().forEach(m -> members.putIfAbsent(m.getIdentity(), m));
      aliases.addAll(p.getAliasesList());
      p.getConflictsList().stream()
          .filter(c -> c.getKind() != ConflictKind.CONFLICT_KIND_DIRECT)
          .forEach(conflicts::add);
    }
    List<LiveRecord> live = live(records);
    Interval window = RequestMapper.window(request.hasWindow(), request.getWindow());
    List<Descriptor> golden = golden(live, window);
    EntityConflicts.direct(first.getResolved(), first.getEntityType(), live)
        .forEach(d -> conflicts.add(ResponseMapper.conflict(d)));
    List<ConflictItem> sorted = new ArrayList<>(conflicts);
    sorted.sort(Merges.CONFLICTS);
    return first.toBuilder()
        .clearMembers()
        .addAllMembers(members.values())
        .clearGolden()
        .addAllGolden(golden)
        .clearConflicts()
        .addAllConflicts(sorted)
        .clearAliases()
        .addAllAliases(aliases)
        .build();
  }

  /** Member records as the engine's functions take them, in canonical order. */
  private static List<LiveRecord> live(List<Record> records) {
    List<LiveRecord> live = new ArrayList<>();
    for (RecordInput r :
        RequestMapper.records(IngestRequest.newBuilder().addAllRecords(records).build())) {
      live.add(new LiveRecord(0, r.identity(), Descriptors.of(r.descriptors()), new TreeMap<>()));
    }
    live.sort(Comparator.comparing(LiveRecord::identity));
    return live;
  }

  /** DOMAIN.md §8's golden record of {@code live}, clipped to {@code window} (null: all time). */
  private static List<Descriptor> golden(List<LiveRecord> live, Interval window) {
    List<Descriptor> golden = new ArrayList<>();
    for (io.tempora.engine.model.Descriptor d : EntityConflicts.golden(live, window)) {
      golden.add(
          Descriptor.newBuilder()
              .setAttr(d.attr())
              .setValue(d.value())
              .setInterval(ResponseMapper.interval(d.start(), d.end()))
              .build());
    }
    return golden;
  }

  /**
   * The matches of {@code request} (its descriptors, window and entity type) for the entity {@code
   * entityId} of type {@code entityType} with the member {@code records}, as a shard's query
   * computes them (DOMAIN.md §9): the instants of the window at which, for every descriptor, some
   * member holds it, one match per piece with the golden record clipped to it.
   */
  static List<QueryMatch> matches(
      QueryEntitiesRequest request, long entityId, String entityType, List<Record> records) {
    QueryRequest q = RequestMapper.query(request);
    if (q.entityType() != null && !q.entityType().equals(entityType)) {
      return List.of();
    }
    List<LiveRecord> live = live(records);
    IntervalSet m = IntervalSet.of(q.windowStart(), q.windowEnd());
    for (AttrValue d : q.descriptors()) {
      IntervalSet cov = IntervalSet.EMPTY;
      for (LiveRecord r : live) {
        cov = cov.union(r.descriptors().cov(d.attr(), d.value()));
      }
      m = m.intersect(cov);
    }
    List<QueryMatch> out = new ArrayList<>();
    for (Interval piece : m.pieces()) {
      out.add(
          QueryMatch.newBuilder()
              .setEntityId(entityId)
              .setInterval(ResponseMapper.interval(piece.start(), piece.end()))
              .addAllGolden(golden(live, piece))
              .build());
    }
    return out;
  }

  /**
   * How many active entities the shards {@code counted} report more than once: ids active on
   * several shards. Such an id is one a slot move split whose reconciliation has not run yet, so on
   * every shard holding part of it the changes that made it so (the target's activation, the
   * source's clean) are past the acknowledged change-feed cursor: only the entities named by those
   * unreconciled changes are read (ChangedRecords from the cursor to the head, as a round reads
   * them), never a whole shard unless it was never reconciled. A shard whose unreconciled changes
   * cannot be read that way (a transaction too large for one answer, or events removed by
   * retention) is left out; with {@code allowPartial} so is a shard that stopped answering since it
   * was counted.
   */
  long duplicates(Set<Integer> counted, boolean allowPartial) {
    Fanout.Gathered<ChangeFeedStateResponse> gathered =
        fanout.gather(
            s ->
                counted.contains(s.id())
                    ? internal(s).changeFeedState(ChangeFeedStateRequest.getDefaultInstance())
                    : null,
            allowPartial);
    List<ChangeFeedStateResponse> states = gathered.answers();
    int pending = 0;
    for (ChangeFeedStateResponse st : states) {
      if (st != null && (st.getAcknowledged() == 0 || st.getHeadTx() > st.getAcknowledged())) {
        pending++;
      }
    }
    if (pending < 2) {
      return 0; // a split entity has unreconciled changes on two shards at least
    }
    List<Set<Long>> named =
        fanout
            .gather(
                s -> {
                  ChangeFeedStateResponse st = states.get(s.id());
                  if (st == null
                      || (st.getAcknowledged() != 0 && st.getHeadTx() <= st.getAcknowledged())) {
                    return null;
                  }
                  return unreconciledEntities(s, st);
                },
                allowPartial)
            .answers();
    Map<Long, Integer> shardsOf = new HashMap<>();
    for (Set<Long> ids : named) {
      if (ids != null) {
        ids.forEach(id -> shardsOf.merge(id, 1, Integer::sum));
      }
    }
    long extra = 0;
    for (int n : shardsOf.values()) {
      extra += n - 1;
    }
    return extra;
  }

  /** The entities of the live records named by the shard's unreconciled changes; null if unread. */
  private Set<Long> unreconciledEntities(ShardClient shard, ChangeFeedStateResponse state) {
    Set<Long> ids = new HashSet<>();
    long from = state.getAcknowledged();
    while (true) {
      ChangedRecordsResponse r;
      try {
        long at = from;
        r =
            internal(shard)
                .changedRecords(ChangedRecordsRequest.newBuilder().setFromTx(at).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) {
          return null;
        }
        throw e;
      }
      for (long id : r.getEntityIdsList()) {
        if (id != 0) {
          ids.add(id);
        }
      }
      if (!r.getMore() || r.getNextFromTx() >= state.getHeadTx() || r.getNextFromTx() <= from) {
        return ids;
      }
      from = r.getNextFromTx();
    }
  }
}
