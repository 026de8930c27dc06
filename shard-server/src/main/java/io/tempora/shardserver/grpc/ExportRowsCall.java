package io.tempora.shardserver.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tempora.persistence.export.ExportRow;
import io.tempora.persistence.export.ExportSink;
import io.tempora.persistence.export.ExportSummary;
import io.tempora.persistence.export.GoldenRow;
import io.tempora.proto.v1.ExportGoldenRow;
import io.tempora.proto.v1.ExportRecordRow;
import io.tempora.proto.v1.ExportRowsChunk;
import io.tempora.proto.v1.ExportRowsRequest;
import io.tempora.proto.v1.ExportedFile;
import io.tempora.proto.v1.ShardExportResult;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One ExportRows call on a shard: a producer thread ({@code tempora-shard-export-N}) reads the rows
 * of one read view and sends them in chunks, waiting for the transport window ({@link FlowGate})
 * before each chunk, so at most one chunk is buffered here. A cancelled call stops the producer and
 * releases the view.
 */
final class ExportRowsCall implements ExportSink {
  /** Rows per chunk when the request gives none. */
  static final int DEFAULT_CHUNK_ROWS = 1_000;

  /** Largest allowed rows per chunk. */
  static final int MAX_CHUNK_ROWS = 10_000;

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final ServerCallStreamObserver<ExportRowsChunk> out;
  private final FlowGate gate;
  private final int shardId;
  private final int chunkRows;
  private ExportRowsChunk.Builder chunk;
  private int rows;

  private ExportRowsCall(
      ServerCallStreamObserver<ExportRowsChunk> out, int shardId, int chunkRows) {
    this.out = out;
    this.gate = new FlowGate(out);
    this.shardId = shardId;
    this.chunkRows = chunkRows;
    this.chunk = ExportRowsChunk.newBuilder().setShardId(shardId);
    out.setOnReadyHandler(gate::signal);
    out.setOnCancelHandler(gate::cancel);
  }

  /** Validates the request, then starts the producer thread; failures end the call. */
  static void start(
      Exporter exporter, int shardId, ExportRowsRequest req, StreamObserver<ExportRowsChunk> obs) {
    int chunkRows = req.getChunkRows() == 0 ? DEFAULT_CHUNK_ROWS : req.getChunkRows();
    if (chunkRows < 0 || chunkRows > MAX_CHUNK_ROWS) {
      obs.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "chunk_rows "
                      + Integer.toUnsignedString(req.getChunkRows())
                      + " must be at most "
                      + MAX_CHUNK_ROWS)
              .asRuntimeException());
      return;
    }
    ExportRowsCall call =
        new ExportRowsCall((ServerCallStreamObserver<ExportRowsChunk>) obs, shardId, chunkRows);
    Thread.ofPlatform()
        .name("tempora-shard-export-" + THREADS.incrementAndGet())
        .daemon()
        .start(() -> call.run(exporter, req.getHistory()));
  }

  private void run(Exporter exporter, boolean history) {
    try {
      ExportSummary summary = exporter.stream(history, this);
      flush();
      ShardExportResult.Builder done =
          ShardExportResult.newBuilder().setShardId(shardId).setTx(summary.tx());
      summary.wseq().ifPresent(done::setWseq);
      summary
          .rows()
          .forEach((f, n) -> done.addFiles(ExportedFile.newBuilder().setName(f).setRows(n)));
      send(ExportRowsChunk.newBuilder().setShardId(shardId).setShardDone(done).build());
      out.onCompleted();
    } catch (CancellationException e) {
      // The client went away: nothing to answer; the view is closed by now.
    } catch (RuntimeException e) {
      if (!gate.isCancelled()) {
        out.onError(Statuses.toStatus(e).asRuntimeException());
      }
    }
  }

  @Override
  public void record(ExportRow row) {
    chunk.addRecords(recordRow(row));
    added();
  }

  @Override
  public void golden(GoldenRow row) {
    if (chunk.getRecordsCount() > 0) {
      flush();
    }
    chunk.addGolden(goldenRow(row));
    added();
  }

  @Override
  public void version(ExportRow row) {
    if (chunk.getRecordsCount() > 0 || chunk.getGoldenCount() > 0) {
      flush();
    }
    chunk.addVersions(recordRow(row));
    added();
  }

  private void added() {
    if (++rows >= chunkRows) {
      flush();
    }
  }

  private void flush() {
    if (rows == 0) {
      return;
    }
    send(chunk.build());
    chunk = ExportRowsChunk.newBuilder().setShardId(shardId);
    rows = 0;
  }

  private void send(ExportRowsChunk c) {
    if (!gate.awaitReady()) {
      throw new CancellationException("ExportRows cancelled by the client");
    }
    out.onNext(c);
  }

  /** The wire form of a records or versions row. */
  static ExportRecordRow recordRow(ExportRow r) {
    ExportRecordRow.Builder b =
        ExportRecordRow.newBuilder()
            .setRecordId(r.recordId())
            .setEntityType(r.entityType())
            .setPerspective(r.perspective())
            .setUid(r.uid())
            .setVersion(r.version())
            .setTx(r.tx());
    if (r.attribute() != null) {
      b.setAttribute(r.attribute());
    }
    if (r.value() != null) {
      b.setValue(r.value());
    }
    if (r.validFrom() != null) {
      b.setValidFrom(r.validFrom());
    }
    if (r.validTo() != null) {
      b.setValidTo(r.validTo());
    }
    if (r.entityId() != null) {
      b.setEntityId(r.entityId());
    }
    if (r.kind() != null) {
      b.setKind(r.kind());
    }
    if (r.supersededTx() != null) {
      b.setSupersededTx(r.supersededTx());
    }
    return b.build();
  }

  /** The wire form of a golden row. */
  static ExportGoldenRow goldenRow(GoldenRow r) {
    ExportGoldenRow.Builder b =
        ExportGoldenRow.newBuilder()
            .setEntityId(r.entityId())
            .setEntityType(r.entityType())
            .setAttribute(r.attribute())
            .setValue(r.value())
            .setMemberCount(r.memberCount());
    if (r.validFrom() != null) {
      b.setValidFrom(r.validFrom());
    }
    if (r.validTo() != null) {
      b.setValidTo(r.validTo());
    }
    return b.build();
  }
}
