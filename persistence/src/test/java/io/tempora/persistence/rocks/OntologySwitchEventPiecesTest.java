package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.OntologyResult;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.resolve.SwitchJob;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.VerifyReport;
import io.tempora.persistence.scale.ScaleWorkload;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 (memory stays bounded): an ontology switch appends its events in pieces of {@code
 * batchRecords} (docs/storage.md, "Ontology switch", phase 7), so its finishing commit holds at
 * most one piece, not every event; readers see none of them until that commit, then all of them in
 * the order of a switch run in one transaction.
 */
class OntologySwitchEventPiecesTest {
  private static final int RECORDS = 4_000;
  private static final int BATCH = 50;

  @TempDir Path dir;

  @Test
  void setOntology_eventsSpanSeveralPieces_sameEventsAsOneTransactionAndOnePieceLastCommit() {
    Engine reference = new Engine(new InMemoryStore(), EngineConfig.defaults());
    build(reference);
    OntologyResult expected = reference.setOntology(ScaleWorkload.SWITCHED, null);
    assertThat(expected.events()).as("events of the switch").hasSizeGreaterThan(5 * BATCH);
    int total = expected.events().size();

    StorageConfig config = StorageConfig.defaults(0).withSmallCaches();
    try (RocksShardStore store = RocksShardStore.open(dir, config)) {
      build(new Engine(store, EngineConfig.defaults()));
      List<EntityEvent> before = events(store);
      List<Integer> storedAtSpill = new ArrayList<>();
      SwitchJob.Result r;
      try (StoreTxn txn = store.begin()) {
        long tx = txn.meta().lastTx() + 1;
        r =
            SwitchJob.start(
                txn,
                ScaleWorkload.SWITCHED,
                0,
                BATCH,
                job -> {
                  assertThat(events(store))
                      .as("events a view sees during the switch")
                      .isEqualTo(before);
                  try (Cursor<EntityEvent> c = txn.events(tx)) {
                    storedAtSpill.add(c.toList().size());
                  }
                });
        txn.commit().awaitDurable();
      }

      assertThat(r.tx()).isEqualTo(expected.tx());
      assertThat(r.outcome().events()).isEqualTo(expected.events());
      List<EntityEvent> after = events(store);
      assertThat(after.subList(0, before.size())).isEqualTo(before);
      assertThat(after.subList(before.size(), after.size())).isEqualTo(expected.events());
      assertThat(storedAtSpill.stream().filter(n -> n > 0 && n < total).distinct().count())
          .as("spills with some of the %d events written: %s", total, storedAtSpill)
          .isGreaterThanOrEqualTo(total / BATCH - 1);
      System.out.printf(
          "switch of %d records, %d events, batch %d: finishing commit %d rows, %d bytes;"
              + " largest batch %d bytes%n",
          RECORDS,
          total,
          BATCH,
          store.lastCommitRows(),
          store.lastCommitBytes(),
          store.largestBatchBytes());
      // Before the pieces, the last commit put every event and deleted its job row: 2 × total.
      assertThat(store.lastCommitRows())
          .as("rows of the finishing commit (%d events, batch %d)", total, BATCH)
          .isLessThanOrEqualTo(2L * BATCH + 32)
          .isLessThan(total);
      try (StoreView v = store.view()) {
        assertThat(v.jobRows(new byte[0], null).toList()).as("job rows left").isEmpty();
      }
    }
    VerifyReport report = DataDirVerifier.verify(dir);
    assertThat(report.problems()).as(report.render()).isEmpty();
  }

  private static void build(Engine engine) {
    engine.setOntology(ScaleWorkload.ONTOLOGY, null);
    for (int i = 0; i < RECORDS; i += 1_000) {
      engine.upsert(ScaleWorkload.batch(i, 1_000));
    }
  }

  private static List<EntityEvent> events(RocksShardStore store) {
    try (StoreView v = store.view()) {
      return v.events(0).toList();
    }
  }
}
