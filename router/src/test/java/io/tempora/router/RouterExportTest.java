package io.tempora.router;

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
import io.tempora.engine.store.InMemoryStore;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.persistence.export.ParquetFiles;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.ExportRequest;
import io.tempora.proto.v1.ExportResponse;
import io.tempora.proto.v1.ExportRowsChunk;
import io.tempora.proto.v1.ExportRowsRequest;
import io.tempora.proto.v1.ExportedFile;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.ShardExportResult;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import io.tempora.shardserver.grpc.StoreExporter;
import io.tempora.shardserver.ops.ShardMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export through a router in front of three in-process shards (DISTRIBUTED.md §4 "Export",
 * shard-local): each shard writes its own files under one name; a missing shard fails the call.
 */
class RouterExportTest {
  private static final int SHARDS = 3;
  private static final int RECORDS = 60;

  @TempDir Path tmp;
  private final List<ShardServer> servers = new ArrayList<>();
  private RouterServer router;
  private ManagedChannel channel;
  private TemporaServiceGrpc.TemporaServiceBlockingStub stub;

  @BeforeEach
  void start() {
    ShardServerConfig config =
        ShardServerConfig.defaults("127.0.0.1", 0)
            .withHealthPort(-1)
            .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
    List<ShardClient> clients = new ArrayList<>();
    for (int i = 0; i < SHARDS; i++) {
      InMemoryStore store = new InMemoryStore();
      String name = "export-shard-" + i + "-" + UUID.randomUUID();
      ShardServer server =
          ShardServer.open(
              InProcessServerBuilder.forName(name), null, config, new ShardMetrics(i, "test"));
      server.serve(
          new Engine(store, new EngineConfig(i, Limits.defaults())),
          new InMemoryHomeDirectory(),
          null,
          new StoreExporter(store, shardDir(i), i, Clock.systemUTC()));
      servers.add(server);
      clients.add(
          new ShardClient(i, name, InProcessChannelBuilder.forName(name).directExecutor().build()));
    }
    String name = "export-router-" + UUID.randomUUID();
    router =
        RouterServer.start(
            InProcessServerBuilder.forName(name),
            clients,
            RouterConfig.defaults(
                    "127.0.0.1", 0, clients.stream().map(c -> "in-process:1").toList())
                .withReconcileStaleness(Duration.ZERO));
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = TemporaServiceGrpc.newBlockingStub(channel);
  }

  private Path shardDir(int shard) {
    return tmp.resolve("shard-" + shard);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    router.close();
    servers.forEach(ShardServer::close);
  }

  private void ingest() {
    IngestRequest.Builder b = IngestRequest.newBuilder();
    for (int i = 0; i < RECORDS; i++) {
      b.addRecords(
          Record.newBuilder()
              .setIdentity(
                  Identity.newBuilder()
                      .setEntityType("person")
                      .setPerspective("crm")
                      .setUid("u" + i))
              .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue(i + "@x"))
              .addDescriptors(Descriptor.newBuilder().setAttr("name").setValue("n" + i)));
    }
    stub.ingest(b.build());
  }

  @Test
  void export_threeShards_everyShardWritesItsFilesUnderOneName() {
    ingest();

    ExportResponse r = stub.export(ExportRequest.newBuilder().setName("all").build());

    assertThat(r.getName()).isEqualTo("all");
    assertThat(r.getShardsList())
        .extracting(ShardExportResult::getShardId)
        .containsExactly(0, 1, 2);
    long records = 0;
    for (ShardExportResult s : r.getShardsList()) {
      Path dir = shardDir(s.getShardId()).resolve("exports").resolve("all").toAbsolutePath();
      assertThat(s.getDir()).isEqualTo(dir.toString());
      assertThat(dir.resolve("_SUCCESS")).exists();
      String file = "records-shard-" + s.getShardId() + ".parquet";
      long rows =
          s.getFilesList().stream()
              .filter(f -> f.getName().equals(file))
              .mapToLong(ExportedFile::getRows)
              .sum();
      assertThat(ParquetFiles.rows(dir.resolve(file))).hasSize((int) rows);
      records += rows;
    }
    // Two descriptor pieces per record, each record on exactly one shard.
    assertThat(records).isEqualTo(2L * RECORDS);
    assertThat(r.getFilesList()).hasSize(3 * SHARDS);
    assertThat(r.getShardsList()).allMatch(s -> s.getFilesList().size() == 2);
  }

  @Test
  void export_withoutName_allShardsShareTheRoutersName() throws Exception {
    ExportResponse r = stub.export(ExportRequest.newBuilder().setHistory(true).build());

    assertThat(r.getName()).matches("\\d{8}T\\d{6}Z");
    for (int i = 0; i < SHARDS; i++) {
      assertThat(shardDir(i).resolve("exports").resolve(r.getName()).resolve("_SUCCESS")).exists();
      assertThat(
              Files.readString(
                  shardDir(i).resolve("exports").resolve(r.getName()).resolve("_SUCCESS")))
          .contains("\"versions-shard-" + i + ".parquet\":0");
    }
  }

  @Test
  void export_shardDown_unavailableNamingTheShard() {
    servers.get(1).close();

    assertThatThrownBy(() -> stub.export(ExportRequest.newBuilder().setName("partial").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("shard 1");
            });
    assertThat(shardDir(1).resolve("exports")).doesNotExist();
  }

  @Test
  void export_badName_invalidArgumentFromEveryShardAndNoDirectory() {
    assertThatThrownBy(() -> stub.export(ExportRequest.newBuilder().setName("../up").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    for (int i = 0; i < SHARDS; i++) {
      assertThat(shardDir(i)).doesNotExist();
    }
  }

  @Test
  void exportRows_threeShards_streamsEveryShardInOrderWithItsDoneChunk() {
    ingest();

    List<ExportRowsChunk> chunks = new ArrayList<>();
    stub.exportRows(ExportRowsRequest.newBuilder().setHistory(true).setChunkRows(7).build())
        .forEachRemaining(chunks::add);

    List<ShardExportResult> done =
        chunks.stream()
            .filter(ExportRowsChunk::hasShardDone)
            .map(ExportRowsChunk::getShardDone)
            .toList();
    assertThat(done).extracting(ShardExportResult::getShardId).containsExactly(0, 1, 2);
    long records = chunks.stream().mapToLong(ExportRowsChunk::getRecordsCount).sum();
    long versions = chunks.stream().mapToLong(ExportRowsChunk::getVersionsCount).sum();
    assertThat(records).isEqualTo(2L * RECORDS);
    assertThat(versions).isEqualTo(2L * RECORDS);
    assertThat(chunks)
        .allMatch(c -> c.getRecordsCount() + c.getGoldenCount() + c.getVersionsCount() <= 7);
    for (ShardExportResult d : done) {
      long streamed =
          chunks.stream()
              .filter(c -> c.getShardId() == d.getShardId())
              .mapToLong(ExportRowsChunk::getRecordsCount)
              .sum();
      assertThat(d.getFiles(0).getName()).isEqualTo("records-shard-" + d.getShardId() + ".parquet");
      assertThat(d.getFiles(0).getRows()).isEqualTo(streamed);
    }
  }

  @Test
  void exportRows_shardDown_unavailableNamingTheShard() {
    servers.get(2).close();

    assertThatThrownBy(
            () -> stub.exportRows(ExportRowsRequest.getDefaultInstance()).forEachRemaining(c -> {}))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("shard 2");
            });
  }

  @Test
  void exportRows_chunkTooLarge_invalidArgument() {
    assertThatThrownBy(
            () ->
                stub.exportRows(ExportRowsRequest.newBuilder().setChunkRows(10_001).build())
                    .forEachRemaining(c -> {}))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("chunk_rows 10001");
            });
  }
}
