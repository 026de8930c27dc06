package io.tempora.engine.bench;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.write.WriteResult;
import java.util.ArrayList;
import java.util.List;
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
 * Recomputes a contested component: {@code size} records share one key tuple while records of the
 * same perspective disagree on a strong identifier, so every change runs the full canonical split
 * of DOMAIN.md §5.2 plus the blocked-merge evidence of every entity pair.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class ContestedComponentBenchmark {
  @Param({"1000"})
  int size;

  private Engine engine;
  private long flip;

  @Setup(Level.Trial)
  public void setUp() {
    engine = new Engine(new InMemoryStore(), EngineConfig.defaults());
    engine.setOntology(
        new Ontology(
            List.of(new IdentityKey("name_key", List.of("name"), List.of())),
            List.of(new StrongIdentifier("ssn", List.of())),
            List.of(),
            List.of()),
        null);
    List<RecordInput> batch = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      batch.add(member(i, "ssn-" + (i % 50)));
    }
    engine.upsert(batch);
  }

  private static RecordInput member(int i, String ssn) {
    return new RecordInput(
        Identity.of("person", "p" + (i % 10), "u" + i),
        List.of(
            new Descriptor("name", "Shared Name", 0, 1000), new Descriptor("ssn", ssn, 0, 1000)));
  }

  @Benchmark
  public WriteResult updateOneMember() {
    long n = flip++;
    return engine.upsert(List.of(member(0, "ssn-" + (n % 50))));
  }
}
