package io.tempora.engine.conformance;

import io.tempora.engine.Engine;
import io.tempora.engine.Reader;
import io.tempora.engine.Reader.EntitySummary;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.EntityHolders;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.Identity;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.engine.query.ConflictPage;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.query.QueryResult.ConflictEntity;
import io.tempora.engine.query.QueryResult.ConflictInterval;
import io.tempora.engine.query.QueryResult.Match;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An engine state with entity ids replaced by the 1-based position of the entity in anchor order,
 * so that states of different histories (and the oracle's answer) compare with {@code equals}
 * (DOMAIN.md §0, equivalent states).
 *
 * @param partition entities in anchor order, members canonical
 * @param conflicts every conflict item, §7.4 order, ids mapped
 * @param golden golden record per entity, same order as the partition
 * @param records normal form of every live record
 */
public record Canon(
    List<List<Identity>> partition,
    List<ConflictItem> conflicts,
    List<List<Descriptor>> golden,
    Map<Identity, Descriptors> records) {

  /** Captures the settled state of an engine. */
  public static Canon of(Engine engine) {
    Reader r = engine.reader();
    List<EntitySummary> entities = r.partition();
    Map<Long, Long> index = index(entities);
    List<List<Identity>> partition = new ArrayList<>();
    List<List<Descriptor>> golden = new ArrayList<>();
    Map<Identity, Descriptors> records = new TreeMap<>();
    for (EntitySummary e : entities) {
      partition.add(e.members());
      golden.add(r.getEntity(e.entityId(), null).golden());
      for (Identity m : e.members()) {
        records.put(m, r.getRecord(m).descriptors());
      }
    }
    List<ConflictItem> conflicts = new ArrayList<>();
    for (ConflictItem c : allConflicts(r)) {
      conflicts.add(map(c, index));
    }
    return new Canon(partition, conflicts, golden, records);
  }

  /** Entity id to its 1-based position in anchor order. */
  public static Map<Long, Long> index(List<EntitySummary> anchorOrdered) {
    Map<Long, Long> index = new HashMap<>();
    for (int i = 0; i < anchorOrdered.size(); i++) {
      index.put(anchorOrdered.get(i).entityId(), (long) i + 1);
    }
    return index;
  }

  /** Every conflict item, reading all pages. */
  public static List<ConflictItem> allConflicts(Reader r) {
    List<ConflictItem> out = new ArrayList<>();
    String token = null;
    do {
      ConflictPage page = r.listConflicts(ConflictFilter.NONE, 7, token);
      out.addAll(page.items());
      token = page.nextPageToken();
    } while (token != null);
    return out;
  }

  /** A query answer with ids mapped. */
  public static QueryResult query(Engine engine, QueryRequest q) {
    Map<Long, Long> index = index(engine.reader().partition());
    QueryResult res = engine.reader().query(q);
    if (res.matches() != null) {
      List<Match> ms = new ArrayList<>();
      for (Match m : res.matches()) {
        ms.add(new Match(index.get(m.entityId()), m.interval(), m.golden()));
      }
      return new QueryResult(0, ms, null);
    }
    List<ConflictInterval> cs = new ArrayList<>();
    for (ConflictInterval c : res.conflict()) {
      List<ConflictEntity> es = new ArrayList<>();
      for (ConflictEntity e : c.entities()) {
        es.add(new ConflictEntity(index.get(e.entityId()), e.descriptors()));
      }
      cs.add(new ConflictInterval(c.interval(), es));
    }
    return new QueryResult(0, null, cs);
  }

  /** A conflict item with its entity ids mapped through {@code index}. */
  public static ConflictItem map(ConflictItem c, Map<Long, Long> index) {
    return switch (c) {
      case Direct d ->
          new Direct(
              d.entityType(), d.attribute(), d.interval(), index.get(d.entityId()), d.values());
      case BlockedMerge b ->
          new BlockedMerge(
              b.entityType(),
              b.attribute(),
              b.interval(),
              index.get(b.entityA()),
              index.get(b.entityB()),
              b.linkRecords(),
              b.key(),
              b.tuple(),
              b.linkInterval(),
              b.perspective(),
              b.valueA(),
              b.valueB(),
              b.conflictRecords());
      case ConstraintViolation v -> {
        List<EntityHolders> es = new ArrayList<>();
        for (EntityHolders e : v.entities()) {
          es.add(new EntityHolders(index.get(e.entityId()), e.holders()));
        }
        yield new ConstraintViolation(
            v.entityType(),
            v.attribute(),
            v.interval(),
            v.constraint(),
            v.constraintKind(),
            v.value(),
            v.perspective(),
            es);
      }
    };
  }
}
