package io.tempora.router;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tempora.proto.v1.ExportRowsChunk;
import io.tempora.proto.v1.ExportRowsRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.grpc.FlowGate;
import io.tempora.shardserver.grpc.Statuses;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One ExportRows call through the router (DISTRIBUTED.md §4 "Export"): a relay thread ({@code
 * tempora-router-export-N}) reads each shard's stream in shard order and forwards every chunk,
 * taking the next chunk from a shard only once the client's window has room ({@link FlowGate}); the
 * blocking shard stream requests one message at a time, so the router buffers at most one chunk.
 * The shard calls run in the client call's context: a cancelled client call cancels them. A shard
 * that fails ends the stream with UNAVAILABLE naming it. Shard streams have no deadline (a large
 * export runs long); the client's deadline, if any, still applies through the context. With several
 * shards, a slot move switching before or during the export fails it ({@link ExportSwitch}: checked
 * before the first shard and after each shard's part).
 */
final class ExportRowsRelay {
  private static final AtomicInteger THREADS = new AtomicInteger();

  private ExportRowsRelay() {}

  /**
   * Starts the relay; {@code sync} (null: no check, one shard) reads the shards' moves for {@link
   * ExportSwitch}.
   */
  static void start(
      List<ShardClient> shards,
      MapSync sync,
      ExportRowsRequest req,
      StreamObserver<ExportRowsChunk> obs) {
    ServerCallStreamObserver<ExportRowsChunk> out = (ServerCallStreamObserver<ExportRowsChunk>) obs;
    FlowGate gate = new FlowGate(out);
    out.setOnReadyHandler(gate::signal);
    out.setOnCancelHandler(gate::cancel);
    Runnable relay = Context.current().wrap(() -> run(shards, sync, req, out, gate));
    Thread.ofPlatform()
        .name("tempora-router-export-" + THREADS.incrementAndGet())
        .daemon()
        .start(relay);
  }

  private static void run(
      List<ShardClient> shards,
      MapSync sync,
      ExportRowsRequest req,
      ServerCallStreamObserver<ExportRowsChunk> out,
      FlowGate gate) {
    ExportSwitch moves;
    try {
      moves = sync == null ? null : ExportSwitch.begin(sync);
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e).asRuntimeException());
      return;
    }
    for (ShardClient shard : shards) {
      try {
        Iterator<ExportRowsChunk> chunks =
            TemporaServiceGrpc.newBlockingStub(shard.channel())
                .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
                .exportRows(req);
        while (chunks.hasNext()) {
          ExportRowsChunk c = chunks.next();
          if (!gate.awaitReady()) {
            return; // client gone: its cancelled context has cancelled the shard call
          }
          out.onNext(c);
        }
      } catch (StatusRuntimeException e) {
        if (!gate.isCancelled()) {
          out.onError(shard.failure(e));
        }
        return;
      } catch (RuntimeException e) {
        if (!gate.isCancelled()) {
          out.onError(Statuses.toStatus(e).asRuntimeException());
        }
        return;
      }
      if (moves != null) {
        try {
          moves.check();
        } catch (RuntimeException e) {
          if (!gate.isCancelled()) {
            out.onError(Statuses.toStatus(e).asRuntimeException());
          }
          return;
        }
      }
    }
    out.onCompleted();
  }
}
