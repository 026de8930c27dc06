package io.tempora.shardserver.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.tempora.engine.Engine;
import io.tempora.proto.internal.v1.HomeClaim;
import io.tempora.proto.internal.v1.ResolveHomesRequest;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Writes go on during a slot move's activation (DISTRIBUTED.md §5; docs/distributed.md
 * "Rebalancing"): on the target, between the flip and the end of the activation, an Ingest,
 * IngestStream request or Delete naming an identity whose record is still staged here first
 * activates that identity's staged entity ({@link StagedActivation#activate}), then is applied as
 * usual, so it is answered as one shard holding the moved record would answer (UPDATED, UNCHANGED,
 * DELETED) and the activation leaves it as written; a ResolveHomes (the router's directory lookup
 * or claim) naming an identity whose directory row is staged here activates that row first, so no
 * claim records a new home over it. Other calls pass. Sits on the typed services (it reads the
 * parsed request). Thread-safe.
 */
public final class StagedWriteActivator implements ServerInterceptor {
  private static final Set<String> WRITES = Set.of("Ingest", "IngestStream", "Delete");

  private final StagedActivation activation;
  private final SlotStore slots;

  public StagedWriteActivator(Engine engine, SlotStore slots) {
    this.activation = new StagedActivation(engine, slots);
    this.slots = slots;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String service = call.getMethodDescriptor().getServiceName();
    String method = call.getMethodDescriptor().getBareMethodName();
    boolean guarded =
        (TemporaServiceGrpc.SERVICE_NAME.equals(service) && WRITES.contains(method))
            || (ShardGrpc.SERVICE_NAME.equals(service) && method.equals("ResolveHomes"));
    if (!guarded) {
      return next.startCall(call, headers);
    }
    return MessageGate.listener(
        call,
        next.startCall(call, headers),
        message -> {
          if (slots.activatingMove() == null) {
            return null;
          }
          try {
            activate(message);
            return null;
          } catch (RuntimeException e) {
            return Statuses.toStatus(e);
          }
        });
  }

  private void activate(Object message) {
    List<byte[]> records = new ArrayList<>();
    List<byte[]> homes = new ArrayList<>();
    switch (message) {
      case IngestRequest r -> {
        for (Record rec : r.getRecordsList()) {
          if (rec.hasIdentity()) {
            records.add(ShardInternalGrpcService.key(rec.getIdentity()));
          }
        }
      }
      case DeleteRequest r -> {
        for (Identity id : r.getIdentitiesList()) {
          records.add(ShardInternalGrpcService.key(id));
        }
      }
      case ResolveHomesRequest r -> {
        for (HomeClaim c : r.getClaimsList()) {
          if (c.hasIdentity()) {
            homes.add(ShardInternalGrpcService.key(c.getIdentity()));
          }
        }
      }
      default -> {}
    }
    activation.activate(records, homes);
  }
}
