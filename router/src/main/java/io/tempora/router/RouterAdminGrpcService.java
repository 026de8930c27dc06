package io.tempora.router;

import io.grpc.stub.StreamObserver;
import io.tempora.proto.internal.v1.RebalanceRequest;
import io.tempora.proto.internal.v1.RebalanceResponse;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.shardserver.grpc.Statuses;

/**
 * The router's admin service ({@code tempora.internal.v1.Router}): Reconcile (incremental, or full
 * with {@code full = true}) and Rebalance (slot moves, {@link Rebalancer}). Thread-safe.
 */
final class RouterAdminGrpcService extends RouterGrpc.RouterImplBase {
  private final RouterGrpcService service;

  RouterAdminGrpcService(RouterGrpcService service) {
    this.service = service;
  }

  @Override
  public void reconcile(ReconcileRequest request, StreamObserver<ReconcileResponse> out) {
    ReconcileResponse answer;
    try {
      answer = service.reconcile(request.getFull());
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e).asRuntimeException());
      return;
    }
    out.onNext(answer);
    out.onCompleted();
  }

  @Override
  public void rebalance(RebalanceRequest request, StreamObserver<RebalanceResponse> out) {
    RebalanceResponse answer;
    try {
      answer = service.rebalancer().rebalance(request);
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e).asRuntimeException());
      return;
    }
    out.onNext(answer);
    out.onCompleted();
  }
}
