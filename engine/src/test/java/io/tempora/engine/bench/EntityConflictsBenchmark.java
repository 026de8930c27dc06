package io.tempora.engine.bench;

import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.EntityConflicts;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Direct conflicts and golden record of one entity holding {@code descriptors} descriptors spread
 * over 20 members, 5 attributes and overlapping intervals (DOMAIN.md §7.1, §8).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class EntityConflictsBenchmark {
  @Param({"1000"})
  int descriptors;

  private List<LiveRecord> members;

  @Setup(Level.Trial)
  public void setUp() {
    members = new ArrayList<>();
    int perMember = descriptors / 20;
    for (int m = 0; m < 20; m++) {
      List<Descriptor> ds = new ArrayList<>();
      for (int j = 0; j < perMember; j++) {
        long start = (long) j * 10 + m;
        ds.add(new Descriptor("attr" + (j % 5), "v" + ((j + m) % 7), start, start + 15));
      }
      members.add(
          new LiveRecord(
              m + 1, Identity.of("person", "p" + m, "u" + m), Descriptors.of(ds), new TreeMap<>()));
    }
  }

  @Benchmark
  public List<Direct> directConflicts() {
    return EntityConflicts.direct(1, "person", members);
  }

  @Benchmark
  public List<Descriptor> goldenRecord() {
    return EntityConflicts.golden(members, null);
  }
}
