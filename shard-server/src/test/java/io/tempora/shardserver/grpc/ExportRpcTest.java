package io.tempora.shardserver.grpc;

import static io.tempora.persistence.export.ParquetFiles.longOrNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.persistence.Durability;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.export.ParquetFiles;
import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.ExportRequest;
import io.tempora.proto.v1.ExportResponse;
import io.tempora.proto.v1.ExportedFile;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.ShardExportResult;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import io.tempora.shardserver.ops.ShardMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.apache.parquet.example.data.Group;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Export RPC on a real RocksDB store over in-process gRPC (STORAGE.md §6.2). */
class ExportRpcTest {
  /** From 32768 on, every id has the sign bit set: it must come back unsigned. */
  private static final int SHARD = 40_001;

  private static final Instant NOW = Instant.parse("2026-11-21T10:15:30Z");

  @TempDir Path tmp;
  private RocksShardStore store;
  private ShardServer server;
  private ManagedChannel channel;
  private TemporaServiceGrpc.TemporaServiceBlockingStub stub;

  @BeforeEach
  void start() {
    Path data = tmp.resolve("data");
    store =
        RocksShardStore.open(
            data, StorageConfig.defaults(SHARD).withSmallCaches().withDurability(Durability.ASYNC));
    String name = InProcessServerBuilder.generateName();
    ShardServerConfig config =
        ShardServerConfig.defaults("127.0.0.1", 0)
            .withHealthPort(-1)
            .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
    server =
        ShardServer.open(
            InProcessServerBuilder.forName(name), null, config, new ShardMetrics(SHARD, "test"));
    server.serve(
        new Engine(store, new EngineConfig(SHARD, Limits.defaults())),
        new InMemoryHomeDirectory(),
        null,
        new StoreExporter(store, data, SHARD, Clock.fixed(NOW, ZoneOffset.UTC)));
    channel = InProcessChannelBuilder.forName(name).build();
    stub = TemporaServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
    store.close();
  }

  private static Record record(String uid, Descriptor... descriptors) {
    return Record.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .addAllDescriptors(List.of(descriptors))
        .build();
  }

  private static Descriptor always(String attr, String value) {
    return Descriptor.newBuilder().setAttr(attr).setValue(value).build();
  }

  private static Descriptor during(String attr, String value, Long start, Long end) {
    Interval.Builder i = Interval.newBuilder();
    if (start != null) {
      i.setStart(start);
    }
    if (end != null) {
      i.setEnd(end);
    }
    return Descriptor.newBuilder().setAttr(attr).setValue(value).setInterval(i).build();
  }

  private void ingestSample() {
    stub.ingest(
        IngestRequest.newBuilder()
            .addRecords(record("a", always("email", "a@x"), during("role", "admin", 10L, null)))
            .addRecords(
                record(
                    "b",
                    always("email", "b@x"),
                    during("role", "viewer", null, 5L),
                    during("role", "viewer", 8L, 9L)))
            .addRecords(record("c", always("email", "c@x")))
            .build());
    stub.delete(
        DeleteRequest.newBuilder()
            .addIdentities(
                Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid("c"))
            .build());
  }

  @Test
  void export_afterIngest_writesFilesWithRowsPerLivePieceAndUnsignedIds() {
    ingestSample();

    ExportResponse r = stub.export(ExportRequest.newBuilder().setName("nightly").build());

    Path dir = tmp.resolve("data").resolve("exports").resolve("nightly").toAbsolutePath();
    assertThat(r.getName()).isEqualTo("nightly");
    assertThat(r.getShardsList()).hasSize(1);
    ShardExportResult shard = r.getShards(0);
    assertThat(shard.getShardId()).isEqualTo(SHARD);
    assertThat(shard.getDir()).isEqualTo(dir.toString());
    // a: 2 pieces, b: 3 pieces; c is deleted. Three entities, one golden entry per piece here.
    assertThat(shard.getFilesList())
        .containsExactly(
            ExportedFile.newBuilder().setName("records-shard-40001.parquet").setRows(5).build(),
            ExportedFile.newBuilder().setName("golden-shard-40001.parquet").setRows(5).build());
    assertThat(r.getRows()).isEqualTo(10);
    assertThat(r.getFilesList())
        .containsExactly(
            dir.resolve("records-shard-40001.parquet").toString(),
            dir.resolve("golden-shard-40001.parquet").toString(),
            dir.resolve("_SUCCESS").toString());
    assertThat(shard.getTx()).isEqualTo(2);

    List<Group> records = ParquetFiles.rows(dir.resolve("records-shard-40001.parquet"));
    assertThat(records).hasSize(5);
    var a =
        stub.getRecord(
            GetRecordRequest.newBuilder()
                .setIdentity(
                    Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid("a"))
                .build());
    Group role =
        records.stream()
            .filter(g -> g.getString("attribute", 0).equals("role"))
            .filter(g -> g.getString("uid", 0).equals("a"))
            .findFirst()
            .orElseThrow();
    assertThat(Long.toUnsignedString(role.getLong("record_id", 0)))
        .isEqualTo(Long.toUnsignedString(a.getRecordId()));
    assertThat(role.getLong("record_id", 0)).isNegative();
    assertThat(longOrNull(role, "entity_id")).isEqualTo(a.getEntityId());
    assertThat(longOrNull(role, "valid_from")).isEqualTo(10L);
    assertThat(longOrNull(role, "valid_to")).isNull();
    List<Group> golden = ParquetFiles.rows(dir.resolve("golden-shard-40001.parquet"));
    assertThat(golden).allMatch(g -> g.getInteger("member_count", 0) == 1);
  }

  @Test
  void export_history_addsVersionsFile() {
    ingestSample();

    ExportResponse r =
        stub.export(ExportRequest.newBuilder().setName("h").setHistory(true).build());

    // Versions: a 2 rows, b 3 rows, c created (1 row) and deleted (1 tombstone row).
    assertThat(r.getShards(0).getFilesList())
        .extracting(ExportedFile::getName, ExportedFile::getRows)
        .contains(org.assertj.core.groups.Tuple.tuple("versions-shard-40001.parquet", 7L));
    assertThat(
            ParquetFiles.rows(
                Path.of(r.getShards(0).getDir()).resolve("versions-shard-40001.parquet")))
        .hasSize(7);
  }

  @Test
  void export_withoutName_usesTheUtcTime() {
    ExportResponse r = stub.export(ExportRequest.getDefaultInstance());

    assertThat(r.getName()).isEqualTo("20261121T101530Z");
    assertThat(r.getShards(0).getFilesList()).extracting(ExportedFile::getRows).containsOnly(0L);
    assertThat(Path.of(r.getShards(0).getDir()).resolve("_SUCCESS")).exists();
  }

  @Test
  void export_badName_invalidArgumentAndNoFilesLeft() throws Exception {
    ingestSample();

    for (String bad : List.of("../escape", "a/b", ".hidden", "..")) {
      assertThatThrownBy(() -> stub.export(ExportRequest.newBuilder().setName(bad).build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("'" + bad + "'");
              });
    }
    assertThat(tmp.resolve("data").resolve("exports")).doesNotExist();
    try (Stream<Path> files = Files.walk(tmp)) {
      assertThat(files).noneMatch(p -> p.getFileName().toString().endsWith(".parquet"));
    }
  }

  @Test
  void export_sameNameTwice_failedPreconditionAndFirstKept() {
    stub.export(ExportRequest.newBuilder().setName("once").build());

    assertThatThrownBy(() -> stub.export(ExportRequest.newBuilder().setName("once").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).contains("already exists");
            });
    assertThat(tmp.resolve("data/exports/once/_SUCCESS")).exists();
  }
}
