package io.tempora.persistence.export;

import static io.tempora.persistence.export.ParquetFiles.longOrNull;
import static io.tempora.persistence.export.ParquetFiles.stringOrNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksShardStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STORAGE.md §6.2: files, columns, nulls, unsigned ids and names of a shard export. */
class ShardExportTest {
  /** Shard ids from 32768 up put the sign bit into every record and entity id. */
  private static final int SHARD = 40_000;

  private static final Ontology ONTOLOGY =
      new Ontology(
          List.of(new Ontology.IdentityKey("email", List.of("email"), List.of("person"))),
          List.of(),
          List.of(),
          List.of());

  @TempDir Path dir;
  private RocksShardStore store;
  private Engine engine;

  @BeforeEach
  void open() {
    store =
        RocksShardStore.open(
            dir.resolve("data"),
            StorageConfig.defaults(SHARD).withSmallCaches().withDurability(Durability.ASYNC));
    engine = new Engine(store, new EngineConfig(SHARD, EngineConfig.defaults().limits()));
    engine.setOntology(ONTOLOGY, null);
    engine.upsert(
        List.of(
            new RecordInput(
                Identity.of("person", "crm", "a"),
                List.of(Descriptor.always("email", "x@e"), Descriptor.of("name", "Ann", 10L, 20L))),
            new RecordInput(
                Identity.of("person", "hr", "b"),
                List.of(
                    Descriptor.always("email", "x@e"),
                    Descriptor.of("name", "Anne", 20L, null),
                    Descriptor.of("name", "Anne", null, 5L))),
            new RecordInput(
                Identity.of("person", "crm", "gone"), List.of(Descriptor.always("email", "y@e")))));
    engine.upsert(
        List.of(
            new RecordInput(
                Identity.of("person", "crm", "a"),
                List.of(
                    Descriptor.always("email", "x@e"), Descriptor.of("name", "Ann", 10L, 30L)))));
    engine.delete(List.of(Identity.of("person", "crm", "gone")));
  }

  @org.junit.jupiter.api.AfterEach
  void close() {
    store.close();
  }

  private ExportSummary export(boolean history) {
    try (StoreView view = store.view()) {
      return ShardExport.write(
          view, OptionalLong.of(7), ExportOptions.of(SHARD, history), dir.resolve("out"));
    }
  }

  @Test
  void export_liveRecords_oneRowPerDescriptorPieceWithNullsForUnboundedEnds() {
    ExportSummary s = export(false);

    List<Group> rows = ParquetFiles.rows(s.dir().resolve("records-shard-40000.parquet"));
    // a: email, name [10,30); b: email, name (-inf,5), name [20,+inf); "gone" is deleted.
    assertThat(rows).hasSize(5);
    long ridA = engine.reader().getRecord(Identity.of("person", "crm", "a")).recordId();
    long entity = engine.reader().getRecord(Identity.of("person", "crm", "a")).entityId();
    assertThat(ridA).isNegative(); // the sign bit is set: unsigned in the file
    Group nameA =
        rows.stream()
            .filter(
                g ->
                    g.getString("uid", 0).equals("a") && g.getString("attribute", 0).equals("name"))
            .findFirst()
            .orElseThrow();
    assertThat(nameA.getLong("record_id", 0)).isEqualTo(ridA);
    assertThat(nameA.getInteger("version", 0)).isEqualTo(2);
    assertThat(nameA.getString("value", 0)).isEqualTo("Ann");
    assertThat(longOrNull(nameA, "valid_from")).isEqualTo(10L);
    assertThat(longOrNull(nameA, "valid_to")).isEqualTo(30L);
    assertThat(longOrNull(nameA, "entity_id")).isEqualTo(entity);
    List<Group> namesB =
        rows.stream()
            .filter(
                g ->
                    g.getString("uid", 0).equals("b") && g.getString("attribute", 0).equals("name"))
            .toList();
    assertThat(namesB)
        .extracting(g -> longOrNull(g, "valid_from"), g -> longOrNull(g, "valid_to"))
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(null, 5L),
            org.assertj.core.groups.Tuple.tuple(20L, null));
    assertThat(rows).noneMatch(g -> g.getString("uid", 0).equals("gone"));
    assertThat(s.rows()).containsEntry("records-shard-40000.parquet", 5L);
  }

  @Test
  void export_schema_unsignedIdsSnappyAndMatchingTables() {
    ExportSummary s = export(true);

    for (String f : s.rows().keySet()) {
      var footer = ParquetFiles.footer(s.dir().resolve(f));
      for (BlockMetaData block : footer.getBlocks()) {
        assertThat(block.getColumns()).allMatch(c -> c.getCodec() == CompressionCodecName.SNAPPY);
      }
    }
    var schema =
        ParquetFiles.footer(s.dir().resolve("records-shard-40000.parquet"))
            .getFileMetaData()
            .getSchema();
    assertThat(schema).isEqualTo(ExportSchemas.RECORDS);
    assertThat(schema.getType("record_id").getLogicalTypeAnnotation())
        .isEqualTo(LogicalTypeAnnotation.intType(64, false));
    assertThat(schema.getType("entity_id").getLogicalTypeAnnotation())
        .isEqualTo(LogicalTypeAnnotation.intType(64, false));
    assertThat(
            ParquetFiles.footer(s.dir().resolve("golden-shard-40000.parquet"))
                .getFileMetaData()
                .getSchema())
        .isEqualTo(ExportSchemas.GOLDEN);
  }

  @Test
  void export_golden_oneRowPerGoldenEntryWithMemberCount() {
    ExportSummary s = export(false);

    List<Group> golden = ParquetFiles.rows(s.dir().resolve("golden-shard-40000.parquet"));
    long entity = engine.reader().getRecord(Identity.of("person", "crm", "a")).entityId();
    // One entity {a, b}: email=x@e always; name: Anne (-inf,5), Ann [10,20), Anne [30,+inf).
    // [20,30) has both Ann and Anne: no golden entry there.
    List<Group> ofEntity =
        golden.stream().filter(g -> g.getLong("entity_id", 0) == entity).toList();
    assertThat(ofEntity)
        .extracting(
            g -> g.getString("attribute", 0),
            g -> g.getString("value", 0),
            g -> longOrNull(g, "valid_from"),
            g -> longOrNull(g, "valid_to"))
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("email", "x@e", null, null),
            org.assertj.core.groups.Tuple.tuple("name", "Anne", null, 5L),
            org.assertj.core.groups.Tuple.tuple("name", "Ann", 10L, 20L),
            org.assertj.core.groups.Tuple.tuple("name", "Anne", 30L, null));
    assertThat(ofEntity).allMatch(g -> g.getInteger("member_count", 0) == 2);
    assertThat(ofEntity).allMatch(g -> g.getString("entity_type", 0).equals("person"));
    assertThat(golden).hasSize(ofEntity.size());
  }

  @Test
  void export_history_writesEveryVersionWithKindAndSupersededTx() {
    ExportSummary s = export(true);

    List<Group> versions = ParquetFiles.rows(s.dir().resolve("versions-shard-40000.parquet"));
    List<Group> gone = versions.stream().filter(g -> g.getString("uid", 0).equals("gone")).toList();
    assertThat(gone).extracting(g -> g.getString("kind", 0)).containsExactly("CREATED", "DELETED");
    Group tombstone = gone.get(1);
    assertThat(stringOrNull(tombstone, "attribute")).isNull();
    assertThat(longOrNull(tombstone, "valid_from")).isNull();
    assertThat(longOrNull(tombstone, "entity_id")).isNull();
    assertThat(longOrNull(tombstone, "superseded_tx")).isNull();
    assertThat(longOrNull(gone.get(0), "superseded_tx")).isEqualTo(tombstone.getLong("tx", 0));
    List<Group> a = versions.stream().filter(g -> g.getString("uid", 0).equals("a")).toList();
    // Version 1: 2 pieces (CREATED), version 2: 2 pieces (UPDATED).
    assertThat(a)
        .extracting(g -> g.getString("kind", 0))
        .containsExactly("CREATED", "CREATED", "UPDATED", "UPDATED");
    assertThat(versions).hasSize(2 + 3 + 2 + 2);
    assertThat(s.rows()).containsEntry("versions-shard-40000.parquet", 9L);
  }

  @Test
  void export_success_isWrittenLastWithTxWseqAndCounts() throws Exception {
    ExportSummary s = export(false);

    String json = Files.readString(s.dir().resolve(ShardExport.SUCCESS));
    assertThat(json)
        .isEqualTo(
            "{\"shard\":40000,\"tx\":"
                + engine.reader().lastTx()
                + ",\"wseq\":7,\"rows\":{\"records-shard-40000.parquet\":5,"
                + "\"golden-shard-40000.parquet\":"
                + s.rows().get("golden-shard-40000.parquet")
                + "}}\n");
    assertThat(s.tx()).isEqualTo(engine.reader().lastTx());
    try (var files = Files.list(s.dir())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "records-shard-40000.parquet", "golden-shard-40000.parquet", "_SUCCESS");
    }
  }

  @Test
  void checkName_pathTraversalOrHiddenOrEmpty_rejectedNamingTheName() {
    for (String bad : List.of("../x", "a/b", ".hidden", "", "..", "a\\b", "x".repeat(129))) {
      assertThatThrownBy(() -> ShardExport.localDir(dir, bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("export name '" + bad + "' is invalid");
    }
    assertThat(ShardExport.localDir(dir, "daily-2026.11.21_a"))
        .isEqualTo(dir.resolve("exports").resolve("daily-2026.11.21_a"));
    assertThat(dir.resolve("exports")).doesNotExist();
  }

  @Test
  void export_existingDirectory_refusedAndLeftAlone() throws Exception {
    Files.createDirectories(dir.resolve("out"));
    Files.writeString(dir.resolve("out").resolve("keep"), "x");

    assertThatThrownBy(() -> export(false))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessageContaining("already exists");
    try (var files = Files.list(dir.resolve("out"))) {
      assertThat(files).containsExactly(dir.resolve("out").resolve("keep"));
    }
  }
}
