package io.tempora.deploy.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Record;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  private static WorkloadSpec spec(long seed, double upsert, double delete) {
    return new WorkloadSpec(
        seed,
        2_000,
        50,
        3,
        0.3,
        0.2,
        0.2,
        0.2,
        upsert,
        delete,
        new WorkloadSpec.Shapes(0.6, 0.3, 0.1),
        0,
        0.01,
        5,
        500,
        "");
  }

  private static List<Workload.Op> all(WorkloadSpec spec) {
    Workload w = new Workload(spec);
    List<Workload.Op> out = new ArrayList<>();
    for (Workload.Op op = w.next(); op != null; op = w.next()) {
      out.add(op);
    }
    return out;
  }

  @Test
  void next_sameSeed_generatesTheSameRequests() {
    assertThat(all(spec(7, 0.1, 0.1))).isEqualTo(all(spec(7, 0.1, 0.1)));
    assertThat(all(spec(7, 0.1, 0.1))).isNotEqualTo(all(spec(8, 0.1, 0.1)));
  }

  @Test
  void next_withUpsertsAndDeletes_coversEveryOperationOnceWithDistinctIdentitiesPerRequest() {
    List<Workload.Op> ops = all(spec(3, 0.2, 0.1));

    long items = ops.stream().mapToLong(Workload.Op::items).sum();
    assertThat(items).isEqualTo(2_000);
    assertThat(ops).hasAtLeastOneElementOfType(Workload.Delete.class);
    for (Workload.Op op : ops) {
      List<Identity> ids =
          switch (op) {
            case Workload.Upsert u ->
                u.request().getRecordsList().stream().map(Record::getIdentity).toList();
            case Workload.Delete d -> d.request().getIdentitiesList();
          };
      Set<Identity> distinct = new HashSet<>(ids);
      assertThat(distinct).hasSameSizeAs(ids);
    }
  }

  @Test
  void spec_rateOutOfRange_isRejectedNamingTheFlag() {
    assertThatThrownBy(() -> spec(1, 0.7, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--upsert + --delete must be <= 1, got 0.7 + 0.5");
  }
}
