package io.tempora.router;

import io.tempora.proto.v1.ConflictItem;
import io.tempora.proto.v1.EntityHolders;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.ValueHolders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/** Orders of DOMAIN.md the router needs to merge shard answers. Stateless. */
final class Merges {
  private Merges() {}

  /** Byte order of UTF-8 strings. */
  static int compareBytes(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  /** Canonical order of identities: entity type, perspective, uid, each in byte order. */
  static final Comparator<Identity> CANONICAL =
      (x, y) -> {
        int c = compareBytes(x.getEntityType(), y.getEntityType());
        if (c == 0) {
          c = compareBytes(x.getPerspective(), y.getPerspective());
        }
        return c != 0 ? c : compareBytes(x.getUid(), y.getUid());
      };

  /**
   * Entity summaries of several shards, sorted by ascending id, with an id listed by more than one
   * shard given once with the union of its members (canonical order): after a slot move that took
   * part of an entity's records to another shard, which keeps the id (docs/decisions.md D3), the id
   * is active on both until the reconciliation after the move co-locates its records.
   */
  static List<EntitySummary> entitiesOnce(List<EntitySummary> sorted) {
    List<EntitySummary> out = new ArrayList<>(sorted.size());
    for (int i = 0; i < sorted.size(); ) {
      EntitySummary e = sorted.get(i);
      int j = i + 1;
      while (j < sorted.size() && sorted.get(j).getEntityId() == e.getEntityId()) {
        j++;
      }
      if (j == i + 1) {
        out.add(e);
      } else {
        TreeSet<Identity> members = new TreeSet<>(CANONICAL);
        sorted.subList(i, j).forEach(x -> members.addAll(x.getMembersList()));
        out.add(e.toBuilder().clearMembers().addAllMembers(members).build());
      }
      i = j;
    }
    return out;
  }

  static long start(Interval i) {
    return i.hasStart() ? i.getStart() : Long.MIN_VALUE;
  }

  static long end(Interval i) {
    return i.hasEnd() ? i.getEnd() : Long.MAX_VALUE;
  }

  private static <T> int compareLists(List<T> a, List<T> b, Comparator<T> c) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int r = c.compare(a.get(i), b.get(i));
      if (r != 0) {
        return r;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  private static List<String> values(ConflictItem x) {
    return switch (x.getDetailCase()) {
      case DIRECT -> x.getDirect().getValuesList().stream().map(ValueHolders::getValue).toList();
      case BLOCKED_MERGE ->
          List.of(x.getBlockedMerge().getValueA(), x.getBlockedMerge().getValueB());
      case CONSTRAINT -> List.of(x.getConstraint().getValue());
      default -> List.of();
    };
  }

  private static List<Identity> records(ConflictItem x) {
    TreeSet<Identity> all = new TreeSet<>(CANONICAL);
    switch (x.getDetailCase()) {
      case DIRECT -> x.getDirect().getValuesList().forEach(v -> all.addAll(v.getHoldersList()));
      case BLOCKED_MERGE -> {
        all.addAll(x.getBlockedMerge().getLinkRecordsList());
        all.addAll(x.getBlockedMerge().getConflictRecordsList());
      }
      case CONSTRAINT ->
          x.getConstraint().getEntitiesList().stream()
              .map(EntityHolders::getHoldersList)
              .forEach(all::addAll);
      default -> {}
    }
    return new ArrayList<>(all);
  }

  private static String constraintName(ConflictItem x) {
    return x.hasConstraint() ? x.getConstraint().getConstraint() : "";
  }

  private static String perspective(ConflictItem x) {
    if (x.hasBlockedMerge()) {
      return x.getBlockedMerge().getPerspective();
    }
    return x.hasConstraint() && x.getConstraint().hasPerspective()
        ? x.getConstraint().getPerspective()
        : "";
  }

  /** DOMAIN.md §7.4 order of conflict items. */
  static final Comparator<ConflictItem> CONFLICTS =
      (a, b) -> {
        int c = compareBytes(a.getEntityType(), b.getEntityType());
        if (c == 0) {
          c = Integer.compare(a.getKindValue(), b.getKindValue());
        }
        if (c == 0) {
          c = compareBytes(a.getAttribute(), b.getAttribute());
        }
        if (c == 0) {
          c = Long.compare(start(a.getInterval()), start(b.getInterval()));
        }
        if (c == 0) {
          c = Long.compare(end(a.getInterval()), end(b.getInterval()));
        }
        if (c == 0) {
          c = compareBytes(constraintName(a), constraintName(b));
        }
        if (c == 0) {
          c = compareBytes(perspective(a), perspective(b));
        }
        if (c == 0) {
          c = compareLists(values(a), values(b), Merges::compareBytes);
        }
        if (c == 0) {
          c = compareLists(records(a), records(b), CANONICAL);
        }
        return c;
      };

  /** An interval with unbounded sides left unset. */
  static Interval interval(long start, long end) {
    Interval.Builder b = Interval.newBuilder();
    if (start != Long.MIN_VALUE) {
      b.setStart(start);
    }
    if (end != Long.MAX_VALUE) {
      b.setEnd(end);
    }
    return b.build();
  }
}
