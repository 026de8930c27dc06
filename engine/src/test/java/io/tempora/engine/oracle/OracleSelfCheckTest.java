package io.tempora.engine.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.query.QueryRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The oracle against the engine-free invariants of DOMAIN.md §12 on generated workloads. */
class OracleSelfCheckTest {
  private static final int WORKLOADS = 200;
  private static final WorkloadGenerator GENERATOR = new WorkloadGenerator();
  private static final List<Case> CASES = new ArrayList<>();

  private record Case(Workload workload, List<RecordInput> live, OracleState state) {}

  @BeforeAll
  static void computeAll() {
    long started = System.nanoTime();
    for (long seed = 1; seed <= WORKLOADS; seed++) {
      Workload w = GENERATOR.generate(seed);
      List<RecordInput> live = WorkloadGenerator.liveRecords(w.ops());
      CASES.add(new Case(w, live, Oracle.compute(w.ontology(), live)));
    }
    System.out.printf(
        "oracle self-check: %d workloads, %d live records, %d conflict items, computed in %d ms%n",
        CASES.size(),
        CASES.stream().mapToInt(c -> c.live().size()).sum(),
        CASES.stream().mapToInt(c -> c.state().conflicts().size()).sum(),
        (System.nanoTime() - started) / 1_000_000);
  }

  @Test
  void generator_sameSeed_sameWorkloadAndValidRequests() {
    for (Case c : CASES) {
      assertThat(GENERATOR.generate(c.workload().seed())).isEqualTo(c.workload());
      WorkloadChecks.assertValid(c.workload());
    }
  }

  @Test
  void generator_workloads_exerciseEveryFeature() {
    Map<String, Integer> seen =
        WorkloadChecks.featureCounts(CASES.stream().map(Case::workload).toList());
    CASES.forEach(c -> WorkloadChecks.countConflicts(c.state(), seen));
    System.out.println("oracle self-check: feature counts " + seen);
    assertThat(seen)
        .containsKeys(
            "delete",
            "update",
            "unbounded",
            "adjacent",
            "ignored",
            "strong",
            "constraint",
            "multiAttrKey",
            "scoped",
            "DIRECT",
            "BLOCKED_MERGE",
            "CONSTRAINT");
  }

  @Test
  void orderIndependence_shuffledRecordsAndDescriptors_sameAnswers() {
    for (Case c : CASES) {
      Random r = new Random(c.workload().seed());
      List<RecordInput> shuffled = new ArrayList<>();
      for (RecordInput in : c.live()) {
        List<Descriptor> ds = new ArrayList<>(in.descriptors());
        Collections.shuffle(ds, r);
        shuffled.add(new RecordInput(in.identity(), ds));
      }
      Collections.shuffle(shuffled, r);
      OracleState other = Oracle.compute(c.workload().ontology(), shuffled);
      String seed = "seed " + c.workload().seed();
      assertThat(other.partition()).as(seed).isEqualTo(c.state().partition());
      assertThat(other.conflicts()).as(seed).isEqualTo(c.state().conflicts());
      for (long e = 1; e <= c.state().entityCount(); e++) {
        assertThat(other.golden(e, null)).as(seed).isEqualTo(c.state().golden(e, null));
      }
      for (QueryRequest q : GENERATOR.queries(c.workload(), c.workload().seed())) {
        assertThat(other.query(q)).as(seed).isEqualTo(c.state().query(q));
      }
    }
  }

  @Test
  void partitionShape_everyWorkload_connectedConflictFreeAndP3() {
    for (Case c : CASES) {
      InvariantChecks.partitionShape(c.state(), c.live());
    }
  }

  @Test
  void blockedMerges_everyWorkload_exactlyOnePerLinkableEntityPair() {
    for (Case c : CASES) {
      InvariantChecks.blockedMerges(c.state());
    }
  }

  @Test
  void golden_everyWorkload_partitionsCoverageWithDirectConflicts() {
    for (Case c : CASES) {
      InvariantChecks.golden(c.state());
    }
  }

  @Test
  void directConflicts_everyWorkload_disjointDistinctAndHeld() {
    for (Case c : CASES) {
      InvariantChecks.direct(c.state());
    }
  }

  @Test
  void conflicts_everyWorkload_strictlyOrderedBySortKey() {
    for (Case c : CASES) {
      List<ConflictItem> items = c.state().conflicts();
      for (int i = 1; i < items.size(); i++) {
        assertThat(
                OracleConflicts.SORT_KEY_ORDER.compare(
                    OracleConflicts.sortKey(items.get(i - 1)),
                    OracleConflicts.sortKey(items.get(i))))
            .as("seed %d item %d", c.workload().seed(), i)
            .isNegative();
      }
    }
  }

  @Test
  void query_everyWorkload_conflictIffTwoMatchSetsOverlap() {
    int queries = 0;
    for (Case c : CASES) {
      for (QueryRequest q : GENERATOR.queries(c.workload(), c.workload().seed() * 31)) {
        InvariantChecks.query(c.state(), q);
        queries++;
      }
    }
    System.out.println("oracle self-check: queries checked " + queries);
    assertThat(queries).isEqualTo(3 * WORKLOADS);
  }

  @Test
  void compute_200DistinctRecords_isFast() {
    Workload w = GENERATOR.generate(7);
    List<RecordInput> records = new ArrayList<>();
    Set<Identity> seen = new HashSet<>();
    Random r = new Random(7);
    for (long seed = 1; records.size() < 200; seed++) {
      for (Op op : GENERATOR.generate(seed).ops()) {
        if (op instanceof Op.Upsert u) {
          for (RecordInput in : u.records()) {
            Identity id =
                Identity.of(
                    in.identity().entityType(), in.identity().perspective(), "u" + r.nextInt(1000));
            if (records.size() < 200 && seen.add(id)) {
              records.add(new RecordInput(id, in.descriptors()));
            }
          }
        }
      }
    }
    long started = System.nanoTime();
    OracleState s = Oracle.compute(w.ontology(), records);
    long ms = (System.nanoTime() - started) / 1_000_000;
    System.out.printf(
        "oracle self-check: 200 records -> %d entities, %d conflicts in %d ms%n",
        s.partition().size(), s.conflicts().size(), ms);
    assertThat(s.partition().stream().mapToInt(List::size).sum()).isEqualTo(200);
  }
}
