package io.tempora.persistence.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 item 4 and the memory half of STORAGE.md ST-T6: a store holding many records opens and
 * serves ingest, query, get-entity and list-conflicts in a child JVM limited to {@code -Xmx256m}.
 * Each data directory is built by a child JVM of the same limit in batches of 5,000 records. The
 * default suite uses 100,000 records; {@code -Pextended} sets {@code tempora.scale.records} to
 * 1,000,000 and also compares the heap after start at 100,000 and 1,000,000 records. A copy of the
 * same directory switches its ontology in a child JVM limited to {@code -Xmx64m}.
 */
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class BoundedMemoryIT {
  private static final long RECORDS = Long.getLong("tempora.scale.records", 100_000);
  private static final List<String> HEAP = List.of("-Xmx256m");
  private static final List<String> SWITCH_HEAP = List.of("-Xmx64m");
  // storage.reindex_batch_records of the switch (the engine's default unless set).
  private static final int SWITCH_BATCH =
      Integer.getInteger("tempora.switch.batch", EngineConfig.DEFAULT_SWITCH_BATCH_RECORDS);
  private static final Map<Long, Path> BUILT = new HashMap<>();

  @TempDir static Path tmp;

  @Test
  void serve_manyRecordsIn256MiBHeap_answersIngestQueryEntityAndConflicts() throws Exception {
    Map<String, String> served = serve(RECORDS);

    assertThat(served).containsEntry("ok", "true").containsEntry("conflicts_page", "100");
    assertThat(Long.parseLong(served.get("max_heap"))).isLessThanOrEqualTo(256L << 20);
  }

  /**
   * Issue 3 item 4 (ontology switch memory): SetOntology re-resolves every record of the store in a
   * heap a quarter of the serving limit, far below what holding every live record would take
   * (docs/storage.md, "Ontology switch"). Every linked pair splits, so a tenth of the records get
   * fresh ids. The switch is written in pieces of {@code tempora.switch.batch} records: its largest
   * write batch ({@code switch_batch_bytes}) grows with that number, not with the store; the events
   * are appended in pieces too (the bound keeps its events term from when the finishing commit
   * carried them all).
   */
  @Test
  void setOntology_manyRecordsIn64MiBHeap_splitsEveryLinkedPair() throws Exception {
    Path data = copy(built(RECORDS), tmp.resolve("switch-" + RECORDS));

    Map<String, String> out =
        ChildJvm.run(
            tmp.resolve("switch-" + RECORDS + ".log"),
            List.of(SWITCH_HEAP.get(0), "-Dtempora.switch.batch=" + SWITCH_BATCH),
            ScaleChild.class,
            30,
            "switch",
            data.toString(),
            Long.toString(RECORDS));

    System.out.println("switch of " + RECORDS + " records: " + new java.util.TreeMap<>(out));
    assertThat(out)
        .containsEntry("ok", "true")
        .containsEntry("events_split", Long.toString(RECORDS / 10 - RECORDS / 100))
        .containsKey("events_stored");
    assertThat(Long.parseLong(out.get("max_heap"))).isLessThanOrEqualTo(64L << 20);
    long events = Long.parseLong(out.get("events_stored"));
    assertThat(Long.parseLong(out.get("switch_batch_bytes")))
        .as("largest write batch of the switch (batch %d records, %d events)", SWITCH_BATCH, events)
        .isLessThanOrEqualTo(1024L * SWITCH_BATCH + 256L * events);
  }

  /** ST-T6: nothing held on the heap after start-up grows with the number of records. */
  @Test
  @EnabledIfSystemProperty(named = "tempora.scale.records", matches = "1000000")
  void start_100kAnd1MRecords_heapAfterStartDiffersByUnderTenPercent() throws Exception {
    long small = Long.parseLong(serve(100_000).get("heap_after_start"));
    long large = Long.parseLong(serve(1_000_000).get("heap_after_start"));

    assertThat((double) Math.abs(large - small) / small).isLessThan(0.10);
  }

  private static Map<String, String> serve(long records) throws Exception {
    Path data = built(records);
    return ChildJvm.run(
        tmp.resolve("serve-" + records + ".log"),
        HEAP,
        ScaleChild.class,
        5,
        "serve",
        data.toString(),
        Long.toString(records));
  }

  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(from.relativize(f).toString()));
      }
    }
    return to;
  }

  private static synchronized Path built(long records) throws IOException, InterruptedException {
    Path data = BUILT.get(records);
    if (data != null) {
      return data;
    }
    data = tmp.resolve("data-" + records);
    Map<String, String> out =
        ChildJvm.run(
            tmp.resolve("build-" + records + ".log"),
            HEAP,
            ScaleChild.class,
            30,
            "build",
            data.toString(),
            Long.toString(records),
            "5000");
    assertThat(out).containsEntry("records", Long.toString(records));
    BUILT.put(records, data);
    return data;
  }
}
