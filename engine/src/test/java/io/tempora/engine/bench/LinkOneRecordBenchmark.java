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
 * Links one new record into a warm store: each invocation upserts a fresh identity whose email
 * matches an existing two-record entity, so the engine finds the component, merges and writes
 * memberships, conflicts and events.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class LinkOneRecordBenchmark {
  @Param({"10000"})
  int entities;

  private Engine engine;
  private long next;

  static Ontology ontology() {
    return new Ontology(
        List.of(new IdentityKey("email_key", List.of("email"), List.of())),
        List.of(new StrongIdentifier("ssn", List.of())),
        List.of(),
        List.of());
  }

  @Setup(Level.Trial)
  public void setUp() {
    engine = new Engine(new InMemoryStore(), EngineConfig.defaults());
    engine.setOntology(ontology(), null);
    List<RecordInput> batch = new ArrayList<>();
    for (int i = 0; i < entities; i++) {
      String email = "user" + i + "@example.com";
      batch.add(record("crm", "c" + i, email, i));
      batch.add(record("hr", "h" + i, email, i));
      if (batch.size() >= 1000) {
        engine.upsert(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      engine.upsert(batch);
    }
  }

  static RecordInput record(String persp, String uid, String email, long t) {
    return new RecordInput(
        Identity.of("person", persp, uid),
        List.of(
            new Descriptor("email", email, t, t + 1000),
            new Descriptor("name", "Name " + uid, t, t + 500)));
  }

  @Benchmark
  public WriteResult linkOneRecord() {
    long n = next++;
    int target = (int) (n % entities);
    return engine.upsert(
        List.of(record("web", "w" + n, "user" + target + "@example.com", target + 10)));
  }
}
