package io.tempora.engine.link;

import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.KeyTuples;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.store.Posting;
import io.tempora.engine.store.StoreView;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;

/**
 * The link graph of DOMAIN.md §4–§5 read through a store view under one ontology: linkable
 * neighbours and link components. Per tuple it loads the posting list once and groups it into
 * overlap clusters with one sweep, so a component is found in time proportional to its postings
 * even on hot keys. Caches live as long as the instance: one read view, one request. Not
 * thread-safe.
 */
public final class LinkIndex {
  private final StoreView view;
  private final Ontology ontology;
  private final Map<Long, LiveRecord> records = new HashMap<>();
  private final Map<TupleKey, TupleClusters> tuples = new HashMap<>();

  public LinkIndex(StoreView view, Ontology ontology) {
    this.view = view;
    this.ontology = ontology;
  }

  /** The ontology this graph uses. */
  public Ontology ontology() {
    return ontology;
  }

  /** A live record with its tuples, or {@code null} if the record is not live. */
  public LiveRecord record(long recordId) {
    LiveRecord r = records.get(recordId);
    if (r == null && !records.containsKey(recordId)) {
      RecordVersion v = view.record(recordId);
      if (v != null && !v.isDeleted()) {
        r = live(v, ontology);
      }
      records.put(recordId, r);
    }
    return r;
  }

  /**
   * Caches what {@link #record(long)} would read: the caller has just written this version ({@code
   * null} = not live) and built its linking view under this index's ontology.
   */
  public void prime(long recordId, LiveRecord r) {
    records.put(recordId, r);
  }

  /** Builds the linking view of a record version under an ontology. */
  public static LiveRecord live(RecordVersion v, Ontology ontology) {
    SortedMap<TupleKey, IntervalSet> t =
        KeyTuples.of(ontology, v.identity().entityType(), v.descriptors());
    return new LiveRecord(v.recordId(), v.identity(), v.descriptors(), t);
  }

  /** The link components containing the seeds, each as a set of record ids; no duplicates. */
  public List<Set<Long>> components(Collection<Long> seeds) {
    Set<Long> seen = new HashSet<>();
    List<Set<Long>> out = new ArrayList<>();
    for (long seed : seeds) {
      if (!seen.contains(seed) && record(seed) != null) {
        Set<Long> c = component(seed);
        seen.addAll(c);
        out.add(c);
      }
    }
    return out;
  }

  /** The link component of a live record. */
  public Set<Long> component(long seed) {
    Set<Long> comp = new LinkedHashSet<>();
    Set<ClusterRef> clustersSeen = new HashSet<>();
    Deque<Long> queue = new ArrayDeque<>();
    comp.add(seed);
    queue.add(seed);
    while (!queue.isEmpty()) {
      LiveRecord r = record(queue.poll());
      for (TupleKey key : r.tuples().keySet()) {
        TupleClusters tc = clusters(key);
        int c = tc.clusterOf(r.recordId());
        if (tc.size(c) < 2 || !clustersSeen.add(new ClusterRef(key, c))) {
          continue;
        }
        for (long other : tc.members(c)) {
          if (comp.add(other)) {
            queue.add(other);
          }
        }
      }
    }
    return comp;
  }

  /** The records linkable with {@code recordId}, each with the tuples they share. */
  public Set<Long> neighbors(long recordId) {
    LiveRecord r = record(recordId);
    Set<Long> out = new HashSet<>();
    for (Map.Entry<TupleKey, IntervalSet> e : r.tuples().entrySet()) {
      TupleClusters tc = clusters(e.getKey());
      int c = tc.clusterOf(recordId);
      for (long other : tc.members(c)) {
        if (other != recordId && tc.intervals(other).overlaps(e.getValue())) {
          out.add(other);
        }
      }
    }
    return out;
  }

  /** True iff two distinct live records are linkable. */
  public boolean linkable(long a, long b) {
    return a != b && minimalLink(a, b) != null;
  }

  /**
   * The minimal {@code (key name, tuple values, link piece)} linking two records, or {@code null}
   * if they are not linkable.
   */
  public LinkStep minimalLink(long a, long b) {
    LiveRecord ra = record(a);
    LiveRecord rb = record(b);
    if (ra == null || rb == null || a == b) {
      return null;
    }
    if (!ra.identity().entityType().equals(rb.identity().entityType())) {
      return null;
    }
    // Tuples iterate in (type, key name, values) order, so the first overlap is the minimum.
    for (Map.Entry<TupleKey, IntervalSet> e : ra.tuples().entrySet()) {
      IntervalSet other = rb.tuples().get(e.getKey());
      if (other != null) {
        IntervalSet link = e.getValue().intersect(other);
        if (!link.isEmpty()) {
          return new LinkStep(e.getKey().keyName(), e.getKey().values(), link.piece(0));
        }
      }
    }
    return null;
  }

  /**
   * One link between two records: the key, the tuple values and the first piece of the link
   * interval set.
   */
  public record LinkStep(String key, List<String> tuple, Interval piece) {}

  private record ClusterRef(TupleKey key, int cluster) {
    // Written out (the values a record derives), see TupleKey.
    @Override
    public boolean equals(Object o) {
      return o instanceof ClusterRef c && cluster == c.cluster && Objects.equals(key, c.key);
    }

    @Override
    public int hashCode() {
      return 31 * Objects.hashCode(key) + Integer.hashCode(cluster);
    }
  }

  private TupleClusters clusters(TupleKey key) {
    TupleClusters tc = tuples.get(key);
    if (tc == null) {
      tc = TupleClusters.of(view.postings(key).toList());
      tuples.put(key, tc);
    }
    return tc;
  }

  /** The posting list of one tuple grouped into overlap-connected clusters. */
  private static final class TupleClusters {
    private final Map<Long, Integer> index = new HashMap<>();
    private final List<IntervalSet> sets = new ArrayList<>();
    private final int[] cluster;
    private final List<List<Long>> members = new ArrayList<>();

    private TupleClusters(List<Posting> postings) {
      for (Posting p : postings) {
        index.put(p.recordId(), sets.size());
        sets.add(p.intervals());
      }
      cluster = sweep(postings);
    }

    static TupleClusters of(List<Posting> postings) {
      return new TupleClusters(postings);
    }

    private int[] sweep(List<Posting> postings) {
      int n = postings.size();
      int pieces = 0;
      for (IntervalSet s : sets) {
        pieces += s.size();
      }
      long[][] all = new long[pieces][];
      int k = 0;
      for (int i = 0; i < n; i++) {
        IntervalSet s = sets.get(i);
        for (int j = 0; j < s.size(); j++) {
          all[k++] = new long[] {s.start(j), s.end(j), i};
        }
      }
      Arrays.sort(all, (x, y) -> Long.compare(x[0], y[0]));
      int[] parent = new int[n];
      for (int i = 0; i < n; i++) {
        parent[i] = i;
      }
      long maxEnd = Long.MIN_VALUE;
      int maxOwner = -1;
      for (long[] p : all) {
        // A piece starting before the running maximum end overlaps the piece owning that end.
        if (maxOwner >= 0 && p[0] < maxEnd) {
          union(parent, (int) p[2], maxOwner);
        }
        if (maxOwner < 0 || p[1] > maxEnd) {
          maxEnd = p[1];
          maxOwner = (int) p[2];
        }
      }
      int[] out = new int[n];
      Map<Integer, Integer> ids = new HashMap<>();
      for (int i = 0; i < n; i++) {
        int root = find(parent, i);
        Integer id = ids.get(root);
        if (id == null) {
          id = members.size();
          ids.put(root, id);
          members.add(new ArrayList<>());
        }
        out[i] = id;
        members.get(id).add(postings.get(i).recordId());
      }
      return out;
    }

    int clusterOf(long rid) {
      return cluster[index.get(rid)];
    }

    int size(int c) {
      return members.get(c).size();
    }

    List<Long> members(int c) {
      return members.get(c);
    }

    IntervalSet intervals(long rid) {
      return sets.get(index.get(rid));
    }

    private static int find(int[] parent, int i) {
      while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
      }
      return i;
    }

    private static void union(int[] parent, int a, int b) {
      int ra = find(parent, a);
      int rb = find(parent, b);
      if (ra != rb) {
        parent[ra] = rb;
      }
    }
  }
}
