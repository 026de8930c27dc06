package io.tempora.deploy.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.persistence.export.ParquetFiles;
import io.tempora.proto.v1.ExportGoldenRow;
import io.tempora.proto.v1.ExportRecordRow;
import io.tempora.proto.v1.ExportRowsChunk;
import io.tempora.proto.v1.ExportedFile;
import io.tempora.proto.v1.ShardExportResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.example.data.Group;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files `admin export --out` writes from an ExportRows stream. */
class StreamedExportTest {
  @TempDir Path tmp;

  private static ExportRecordRow record(long rid, Long validTo) {
    ExportRecordRow.Builder b =
        ExportRecordRow.newBuilder()
            .setRecordId(rid)
            .setEntityType("person")
            .setPerspective("crm")
            .setUid("u" + rid)
            .setVersion(1)
            .setTx(1)
            .setAttribute("email")
            .setValue("x")
            .setEntityId(rid);
    if (validTo != null) {
      b.setValidTo(validTo);
    }
    return b.build();
  }

  private static ExportRowsChunk done(int shard, long records, long golden) {
    return ExportRowsChunk.newBuilder()
        .setShardId(shard)
        .setShardDone(
            ShardExportResult.newBuilder()
                .setShardId(shard)
                .setTx(9)
                .addFiles(
                    ExportedFile.newBuilder()
                        .setName("records-shard-" + shard + ".parquet")
                        .setRows(records))
                .addFiles(
                    ExportedFile.newBuilder()
                        .setName("golden-shard-" + shard + ".parquet")
                        .setRows(golden)))
        .build();
  }

  @Test
  void write_twoShards_filesPerShardEmptyOnesGoldenMultiAndSuccess() throws Exception {
    long unsigned = 0x8000_0000_0000_0001L;
    List<ExportRowsChunk> chunks =
        List.of(
            ExportRowsChunk.newBuilder()
                .setShardId(0)
                .addRecords(record(unsigned, null))
                .addRecords(record(2, 20L))
                .build(),
            ExportRowsChunk.newBuilder()
                .setShardId(0)
                .addGolden(
                    ExportGoldenRow.newBuilder()
                        .setEntityId(unsigned)
                        .setEntityType("person")
                        .setAttribute("email")
                        .setValue("x")
                        .setMemberCount(1))
                .build(),
            done(0, 2, 1),
            done(1, 0, 0));
    List<ShardExportResult> progress = new ArrayList<>();
    Path out = tmp.resolve("out");
    Files.createDirectories(out);

    List<ShardExportResult> shards =
        new StreamedExport(out, 1 << 20, progress::add, line -> {}).write(chunks.iterator());

    assertThat(shards).extracting(ShardExportResult::getShardId).containsExactly(0, 1);
    assertThat(progress).hasSize(2);
    List<Group> records = ParquetFiles.rows(out.resolve("records-shard-0.parquet"));
    assertThat(records).hasSize(2);
    assertThat(records.get(0).getLong("record_id", 0)).isEqualTo(unsigned);
    assertThat(ParquetFiles.longOrNull(records.get(0), "valid_to")).isNull();
    assertThat(ParquetFiles.longOrNull(records.get(1), "valid_to")).isEqualTo(20L);
    assertThat(ParquetFiles.rows(out.resolve("golden-shard-0.parquet"))).hasSize(1);
    assertThat(ParquetFiles.rows(out.resolve("records-shard-1.parquet"))).isEmpty();
    assertThat(ParquetFiles.rows(out.resolve("golden-shard-1.parquet"))).isEmpty();
    assertThat(ParquetFiles.rows(out.resolve("golden-multi.parquet"))).isEmpty();
    assertThat(Files.readString(out.resolve("_SUCCESS")))
        .isEqualTo(
            "{\"shards\":[{\"shard\":0,\"tx\":9,\"wseq\":null,\"rows\":{\"records-shard-0.parquet\":2,"
                + "\"golden-shard-0.parquet\":1}},{\"shard\":1,\"tx\":9,\"wseq\":null,\"rows\":"
                + "{\"records-shard-1.parquet\":0,\"golden-shard-1.parquet\":0}}],"
                + "\"rows\":{\"golden-multi.parquet\":0}}\n");
  }

  @Test
  void write_rowsForAClosedFile_refusedNamingIt() throws Exception {
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    List<ExportRowsChunk> chunks =
        List.of(
            ExportRowsChunk.newBuilder().setShardId(0).addRecords(record(1, null)).build(),
            ExportRowsChunk.newBuilder()
                .setShardId(0)
                .addGolden(
                    ExportGoldenRow.newBuilder()
                        .setEntityId(1)
                        .setEntityType("p")
                        .setAttribute("a")
                        .setValue("v")
                        .setMemberCount(1))
                .build(),
            ExportRowsChunk.newBuilder().setShardId(0).addRecords(record(2, null)).build());
    StreamedExport w = new StreamedExport(out, 1 << 20, s -> {}, line -> {});

    assertThatThrownBy(() -> w.write(chunks.iterator()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("records-shard-0.parquet");
    w.abort();
  }

  @Test
  void checkOut_nonEmptyOrFile_namesTheProblem() throws Exception {
    Path full = tmp.resolve("full");
    Files.createDirectories(full);
    Files.writeString(full.resolve("x"), "x");
    Files.writeString(tmp.resolve("file"), "x");

    assertThat(ExportCommand.checkOut(tmp.resolve("missing"))).isNull();
    assertThat(ExportCommand.checkOut(full)).contains("is not empty");
    assertThat(ExportCommand.checkOut(tmp.resolve("file"))).contains("is not a directory");
  }
}
