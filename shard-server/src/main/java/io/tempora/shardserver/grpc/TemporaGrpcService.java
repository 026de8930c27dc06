package io.tempora.shardserver.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.tempora.engine.Engine;
import io.tempora.engine.Reader;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.write.WriteResult;
import io.tempora.proto.v1.CheckpointRequest;
import io.tempora.proto.v1.CheckpointResponse;
import io.tempora.proto.v1.CompactRequest;
import io.tempora.proto.v1.CompactResponse;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.DeleteResponse;
import io.tempora.proto.v1.ExplainRequest;
import io.tempora.proto.v1.ExplainResponse;
import io.tempora.proto.v1.ExportRequest;
import io.tempora.proto.v1.ExportResponse;
import io.tempora.proto.v1.ExportRowsChunk;
import io.tempora.proto.v1.ExportRowsRequest;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetOntologyRequest;
import io.tempora.proto.v1.GetOntologyResponse;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.IngestStreamResponse;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.ListEntityChangesRequest;
import io.tempora.proto.v1.ListEntityChangesResponse;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.SetOntologyResponse;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ops.ShardMetrics;
import java.util.List;

/**
 * {@code tempora.v1.TemporaService} on one shard's {@link Engine}. Every handler runs through
 * {@link Calls}, so every failure reaches the client as the status {@link Statuses#toStatus} gives.
 * Thread-safe (the engine is); does not own the engine.
 */
public final class TemporaGrpcService extends TemporaServiceGrpc.TemporaServiceImplBase {
  private final Engine engine;
  private final Reader reader;
  private final ShardReads reads;
  private final ShardMetrics metrics;
  private final Checkpointer checkpointer;
  private final Exporter exporter;
  private final Compactor compactor;
  private final CarryMarks marks;

  /**
   * @param engine the shard's engine; the caller keeps ownership
   */
  public TemporaGrpcService(Engine engine) {
    this(engine, null, null, null);
  }

  /**
   * @param engine the shard's engine; the caller keeps ownership
   * @param metrics counts applied ingests; null for none
   * @param checkpointer takes checkpoints for the Checkpoint RPC; null when the store has none (the
   *     RPC then answers UNIMPLEMENTED)
   */
  public TemporaGrpcService(Engine engine, ShardMetrics metrics, Checkpointer checkpointer) {
    this(engine, metrics, checkpointer, null);
  }

  /**
   * @param engine the shard's engine; the caller keeps ownership
   * @param metrics counts applied ingests; null for none
   * @param checkpointer takes checkpoints for the Checkpoint RPC; null for none (UNIMPLEMENTED)
   * @param exporter writes exports for the Export RPC; null for none (UNIMPLEMENTED)
   */
  public TemporaGrpcService(
      Engine engine, ShardMetrics metrics, Checkpointer checkpointer, Exporter exporter) {
    this(engine, metrics, checkpointer, exporter, null);
  }

  /**
   * @param engine the shard's engine; the caller keeps ownership
   * @param metrics counts applied ingests; null for none
   * @param checkpointer takes checkpoints for the Checkpoint RPC; null for none (UNIMPLEMENTED)
   * @param exporter writes exports for the Export RPC; null for none (UNIMPLEMENTED)
   * @param compactor starts compactions for the Compact RPC; null for none (UNIMPLEMENTED)
   */
  public TemporaGrpcService(
      Engine engine,
      ShardMetrics metrics,
      Checkpointer checkpointer,
      Exporter exporter,
      Compactor compactor) {
    this(engine, metrics, checkpointer, exporter, compactor, null);
  }

  /**
   * @param engine the shard's engine; the caller keeps ownership
   * @param metrics counts applied ingests; null for none
   * @param checkpointer takes checkpoints for the Checkpoint RPC; null for none (UNIMPLEMENTED)
   * @param exporter writes exports for the Export RPC; null for none (UNIMPLEMENTED)
   * @param compactor starts compactions for the Compact RPC; null for none (UNIMPLEMENTED)
   * @param marks the carry-over marks every write clears (shared with the internal service); null
   *     for none (a shard without a router)
   */
  public TemporaGrpcService(
      Engine engine,
      ShardMetrics metrics,
      Checkpointer checkpointer,
      Exporter exporter,
      Compactor compactor,
      CarryMarks marks) {
    this.marks = marks;
    this.compactor = compactor;
    this.exporter = exporter;
    this.engine = engine;
    this.reader = engine.reader();
    this.reads = new ShardReads(engine);
    this.metrics = metrics;
    this.checkpointer = checkpointer;
  }

  /**
   * A client upsert: clears the carry-over marks of its identities with the write (under the
   * engine's lock) and durably before it answers (docs/distributed.md "Writes during a move").
   */
  private WriteResult upsert(List<RecordInput> records) {
    if (marks == null) {
      return engine.upsert(records);
    }
    CarryMarks.Clearing clearing = marks.clearing(records);
    WriteResult r = engine.upsert(records, clearing);
    clearing.persist();
    return r;
  }

  /** A client delete, clearing carry-over marks as {@link #upsert} does. */
  private WriteResult delete(List<Identity> identities) {
    if (marks == null) {
      return engine.delete(identities);
    }
    CarryMarks.Clearing clearing = marks.clearingDeletes(identities);
    WriteResult r = engine.delete(identities, clearing);
    clearing.persist();
    return r;
  }

  private WriteResult counted(WriteResult r) {
    if (metrics != null) {
      long created = 0;
      long updated = 0;
      for (WriteResult.Item i : r.items()) {
        switch (i.outcome()) {
          case CREATED -> created++;
          case UPDATED -> updated++;
          default -> {}
        }
      }
      metrics.ingested(created, updated, r.items().size() - created - updated);
    }
    return r;
  }

  @Override
  public void setOntology(SetOntologyRequest req, StreamObserver<SetOntologyResponse> out) {
    Calls.unary(
        out,
        () ->
            ResponseMapper.setOntology(
                engine.setOntology(
                    RequestMapper.ontology(req.getOntology()),
                    req.hasExpectedVersion() ? req.getExpectedVersion() : null)));
  }

  @Override
  public void getOntology(GetOntologyRequest req, StreamObserver<GetOntologyResponse> out) {
    Calls.unary(out, () -> ResponseMapper.ontology(engine.ontology()));
  }

  @Override
  public void ingest(IngestRequest req, StreamObserver<IngestResponse> out) {
    Calls.unary(out, () -> ResponseMapper.ingest(counted(upsert(RequestMapper.records(req)))));
  }

  @Override
  public StreamObserver<IngestRequest> ingestStream(StreamObserver<IngestStreamResponse> out) {
    return new IngestStreamCall(out);
  }

  @Override
  public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out) {
    Calls.unary(out, () -> ResponseMapper.delete(delete(RequestMapper.identities(req))));
  }

  @Override
  public void queryEntities(QueryEntitiesRequest req, StreamObserver<QueryEntitiesResponse> out) {
    Calls.unary(
        out,
        () -> {
          RequestMapper.rejectAsOfTx(req.hasAsOfTx());
          return ResponseMapper.query(reader.query(RequestMapper.query(req)));
        });
  }

  @Override
  public void getEntity(GetEntityRequest req, StreamObserver<GetEntityResponse> out) {
    Calls.unary(
        out,
        () -> {
          RequestMapper.rejectAsOfTx(req.hasAsOfTx());
          return ResponseMapper.entity(
              reader.getEntity(
                  req.getEntityId(), RequestMapper.window(req.hasWindow(), req.getWindow())));
        });
  }

  @Override
  public void getRecord(GetRecordRequest req, StreamObserver<GetRecordResponse> out) {
    Calls.unary(
        out,
        () -> {
          RequestMapper.rejectAsOfTx(req.hasAsOfTx());
          Identity id =
              RequestMapper.requiredIdentity(req.hasIdentity(), req.getIdentity(), "identity");
          return ResponseMapper.record(reader.getRecord(id));
        });
  }

  @Override
  public void explain(ExplainRequest req, StreamObserver<ExplainResponse> out) {
    Calls.unary(
        out,
        () -> {
          RequestMapper.rejectAsOfTx(req.hasAsOfTx());
          Identity a = RequestMapper.requiredIdentity(req.hasA(), req.getA(), "a");
          Identity b = RequestMapper.requiredIdentity(req.hasB(), req.getB(), "b");
          return ResponseMapper.explain(reader.explain(a, b));
        });
  }

  @Override
  public void listConflicts(ListConflictsRequest req, StreamObserver<ListConflictsResponse> out) {
    Calls.unary(
        out,
        () -> {
          RequestMapper.rejectAsOfTx(req.hasAsOfTx());
          return ResponseMapper.conflicts(
              reader.listConflicts(
                  RequestMapper.conflictFilter(req.getFilter()),
                  ShardReads.pageSize(req.getPageSize(), "page_size"),
                  req.getPageToken()));
        });
  }

  @Override
  public void listEntities(ListEntitiesRequest req, StreamObserver<ListEntitiesResponse> out) {
    Calls.unary(
        out,
        () -> {
          RequestMapper.rejectAsOfTx(req.hasAsOfTx());
          return reads.listEntities(req);
        });
  }

  @Override
  public void listEntityChanges(
      ListEntityChangesRequest req, StreamObserver<ListEntityChangesResponse> out) {
    Calls.unary(out, () -> reads.listEntityChanges(req));
  }

  @Override
  public void getStats(GetStatsRequest req, StreamObserver<GetStatsResponse> out) {
    Calls.unary(out, reads::stats);
  }

  @Override
  public void checkpoint(CheckpointRequest req, StreamObserver<CheckpointResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (checkpointer == null) {
            throw new UnsupportedOperationException(
                "Checkpoint is not available: this shard runs on an in-memory store");
          }
          return ResponseMapper.checkpoint(checkpointer.checkpointNow());
        });
  }

  @Override
  public void compact(CompactRequest req, StreamObserver<CompactResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (compactor == null) {
            throw new UnsupportedOperationException(
                "Compact is not available: this shard runs on an in-memory store");
          }
          Compactor.Compaction c = compactor.compact(req.getCf(), req.getWait());
          CompactResponse.Builder b =
              CompactResponse.newBuilder()
                  .addAllColumnFamilies(c.columnFamilies())
                  .setFinished(c.took() != null);
          if (c.took() != null) {
            b.setSeconds(c.took().toNanos() / 1e9);
          }
          return b.build();
        });
  }

  @Override
  public void export(ExportRequest req, StreamObserver<ExportResponse> out) {
    Calls.unary(
        out,
        () -> {
          if (exporter == null) {
            throw new UnsupportedOperationException(
                "Export is not available: this shard runs on an in-memory store");
          }
          return ResponseMapper.export(exporter.export(req.getName(), req.getHistory()));
        });
  }

  /** Streams one read view's export rows (see {@link ExportRowsCall}). */
  @Override
  public void exportRows(ExportRowsRequest req, StreamObserver<ExportRowsChunk> out) {
    if (exporter == null) {
      out.onError(
          Status.UNIMPLEMENTED
              .withDescription("ExportRows is not available on this shard")
              .asRuntimeException());
      return;
    }
    ExportRowsCall.start(exporter, engine.config().shardId(), req, out);
  }

  /**
   * One IngestStream call: applies each request on arrival as Ingest does and answers a summary at
   * the end; the first failure ends the call with its status, prefixed with the request's position.
   */
  private final class IngestStreamCall implements StreamObserver<IngestRequest> {
    private final StreamObserver<IngestStreamResponse> out;
    private final IngestStreamResponse.Builder summary = IngestStreamResponse.newBuilder();
    private boolean failed;

    IngestStreamCall(StreamObserver<IngestStreamResponse> out) {
      this.out = out;
    }

    @Override
    public void onNext(IngestRequest req) {
      if (failed) {
        return;
      }
      long position = summary.getRequests();
      Status status = Calls.run(() -> count(counted(upsert(RequestMapper.records(req)))));
      if (status != null) {
        failed = true;
        String message = status.getDescription() == null ? "" : status.getDescription();
        out.onError(status.withDescription("request " + position + ": " + message).asException());
      }
    }

    private void count(WriteResult r) {
      summary.setRequests(summary.getRequests() + 1);
      summary.setRecords(summary.getRecords() + r.items().size());
      for (WriteResult.Item i : r.items()) {
        switch (i.outcome()) {
          case CREATED -> summary.setCreated(summary.getCreated() + 1);
          case UPDATED -> summary.setUpdated(summary.getUpdated() + 1);
          default -> summary.setUnchanged(summary.getUnchanged() + 1);
        }
      }
      if (r.tx() != 0) {
        summary.setLastTx(r.tx());
      }
    }

    @Override
    public void onError(Throwable t) {
      // The client cancelled or failed: requests already applied stay applied.
      failed = true;
    }

    @Override
    public void onCompleted() {
      if (!failed) {
        out.onNext(summary.build());
        out.onCompleted();
      }
    }
  }
}
