package io.tempora.deploy.export;

import io.tempora.persistence.export.ExportOptions;
import io.tempora.persistence.export.ExportRow;
import io.tempora.persistence.export.ExportSchemas;
import io.tempora.persistence.export.GoldenRow;
import io.tempora.persistence.export.ParquetTable;
import io.tempora.persistence.export.ShardExport;
import io.tempora.proto.v1.ExportGoldenRow;
import io.tempora.proto.v1.ExportRecordRow;
import io.tempora.proto.v1.ExportRowsChunk;
import io.tempora.proto.v1.ExportedFile;
import io.tempora.proto.v1.ShardExportResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.parquet.schema.MessageType;

/**
 * Writes the STORAGE.md §6.2 files from an ExportRows stream into a local directory: per shard
 * {@code records-}, {@code golden-} and (with history) {@code versions-shard-<N>.parquet} as the
 * chunks arrive (one file open at a time, so memory is one row group), then {@code
 * golden-multi.parquet} and {@code _SUCCESS}. Entities never span shards in the co-location design
 * (docs/distributed.md), so {@code golden-multi.parquet} is always written empty. Not thread-safe.
 */
final class StreamedExport {
  /** File of golden rows of entities spanning shards. */
  static final String GOLDEN_MULTI = "golden-multi.parquet";

  private final Path dir;
  private final long rowGroupBytes;
  private final Consumer<ShardExportResult> progress;
  private final Consumer<String> status;
  private long rows;
  private final List<ShardExportResult> shards = new ArrayList<>();
  private final Set<String> created = new HashSet<>();
  private ParquetTable open;
  private String openName;

  /**
   * @param dir the output directory; created here, must be missing or empty
   * @param progress told about each shard once its files are complete
   * @param status told every {@link #STATUS_ROWS} rows which file is being written
   */
  StreamedExport(
      Path dir, long rowGroupBytes, Consumer<ShardExportResult> progress, Consumer<String> status) {
    this.dir = dir;
    this.rowGroupBytes = rowGroupBytes;
    this.progress = progress;
    this.status = status;
  }

  /** Rows between two status lines. */
  static final long STATUS_ROWS = 100_000;

  /** Writes every chunk of {@code chunks}, then the closing files; the per-shard results. */
  List<ShardExportResult> write(Iterator<ExportRowsChunk> chunks) {
    while (chunks.hasNext()) {
      accept(chunks.next());
    }
    closeOpen();
    try (ParquetTable t = create(GOLDEN_MULTI, ExportSchemas.GOLDEN)) {
      // Written empty: entities never span shards (rows of none to write).
      t.rows();
    }
    try {
      Files.writeString(
          dir.resolve(ShardExport.SUCCESS), successJson(), StandardOpenOption.CREATE_NEW);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(ShardExport.SUCCESS), e);
    }
    return List.copyOf(shards);
  }

  private void accept(ExportRowsChunk c) {
    int shard = c.getShardId();
    for (ExportRecordRow r : c.getRecordsList()) {
      table(ShardExport.fileName("records", shard), ExportSchemas.RECORDS)
          .write(ExportSchemas.group(row(r, false), false));
    }
    for (ExportGoldenRow r : c.getGoldenList()) {
      table(ShardExport.fileName("golden", shard), ExportSchemas.GOLDEN)
          .write(ExportSchemas.group(golden(r)));
    }
    for (ExportRecordRow r : c.getVersionsList()) {
      table(ShardExport.fileName("versions", shard), ExportSchemas.VERSIONS)
          .write(ExportSchemas.group(row(r, true), true));
    }
    long before = rows;
    rows += c.getRecordsCount() + c.getGoldenCount() + c.getVersionsCount();
    if (rows / STATUS_ROWS > before / STATUS_ROWS) {
      status.accept(rows + " rows so far, writing " + openName);
    }
    if (c.hasShardDone()) {
      finishShard(c.getShardDone());
    }
  }

  /** Creates the shard's files that had no rows and checks the counts against the shard's. */
  private void finishShard(ShardExportResult done) {
    closeOpen();
    for (ExportedFile f : done.getFilesList()) {
      if (!created.contains(f.getName())) {
        try (ParquetTable t = create(f.getName(), schemaOf(f.getName()))) {
          t.rows();
        }
      }
    }
    shards.add(done);
    progress.accept(done);
  }

  private static MessageType schemaOf(String file) {
    if (file.startsWith("records-")) {
      return ExportSchemas.RECORDS;
    }
    if (file.startsWith("golden-")) {
      return ExportSchemas.GOLDEN;
    }
    if (file.startsWith("versions-")) {
      return ExportSchemas.VERSIONS;
    }
    throw new IllegalStateException("unexpected export file " + file);
  }

  private ParquetTable table(String name, MessageType schema) {
    if (!name.equals(openName)) {
      closeOpen();
      open = create(name, schema);
      openName = name;
    }
    return open;
  }

  private ParquetTable create(String name, MessageType schema) {
    if (!created.add(name)) {
      throw new IllegalStateException("rows of " + name + " arrived after the file was closed");
    }
    return ParquetTable.create(dir.resolve(name), schema, rowGroupBytes);
  }

  private void closeOpen() {
    if (open != null) {
      open.close();
      open = null;
      openName = null;
    }
  }

  /** Closes the open file after a failure (the caller removes the directory). */
  void abort() {
    try {
      closeOpen();
    } catch (RuntimeException e) {
      // The directory is removed next; a half-written file does not matter.
    }
  }

  private String successJson() {
    StringBuilder b = new StringBuilder("{\"shards\":[");
    String sep = "";
    for (ShardExportResult s : shards) {
      b.append(sep)
          .append("{\"shard\":")
          .append(s.getShardId())
          .append(",\"tx\":")
          .append(s.getTx());
      b.append(",\"wseq\":").append(s.hasWseq() ? Long.toUnsignedString(s.getWseq()) : "null");
      b.append(",\"rows\":{");
      String fsep = "";
      for (ExportedFile f : s.getFilesList()) {
        b.append(fsep).append('"').append(f.getName()).append("\":").append(f.getRows());
        fsep = ",";
      }
      b.append("}}");
      sep = ",";
    }
    return b.append("],\"rows\":{\"").append(GOLDEN_MULTI).append("\":0}}\n").toString();
  }

  private static ExportRow row(ExportRecordRow r, boolean versions) {
    return new ExportRow(
        r.getRecordId(),
        r.getEntityType(),
        r.getPerspective(),
        r.getUid(),
        r.getVersion(),
        r.getTx(),
        r.hasAttribute() ? r.getAttribute() : null,
        r.hasValue() ? r.getValue() : null,
        r.hasValidFrom() ? r.getValidFrom() : null,
        r.hasValidTo() ? r.getValidTo() : null,
        r.hasEntityId() ? r.getEntityId() : null,
        versions ? r.getKind() : null,
        r.hasSupersededTx() ? r.getSupersededTx() : null);
  }

  private static GoldenRow golden(ExportGoldenRow r) {
    return new GoldenRow(
        r.getEntityId(),
        r.getEntityType(),
        r.getAttribute(),
        r.getValue(),
        r.hasValidFrom() ? r.getValidFrom() : null,
        r.hasValidTo() ? r.getValidTo() : null,
        r.getMemberCount());
  }

  /** Row groups of STORAGE.md's 128 MiB bound. */
  static long defaultRowGroupBytes() {
    return ExportOptions.MAX_ROW_GROUP_BYTES;
  }
}
