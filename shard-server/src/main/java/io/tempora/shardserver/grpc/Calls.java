package io.tempora.shardserver.grpc;

import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/**
 * The helper every handler goes through: runs the handler's body and answers either its result or
 * the status {@link Statuses#toStatus} gives for what it threw, so that no exception reaches
 * grpc-java (which would answer UNKNOWN without details).
 */
final class Calls {
  private Calls() {}

  /** Answers a unary call with the body's result, or with the status of its failure. */
  static <T> void unary(StreamObserver<T> response, Supplier<T> body) {
    T result;
    try {
      result = body.get();
    } catch (Throwable t) { // every failure must become a status, whatever its type
      response.onError(Statuses.toStatus(t).asRuntimeException());
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }

  /** Runs a step of a streaming call; returns the failure's status, or null on success. */
  static io.grpc.Status run(Runnable step) {
    try {
      step.run();
      return null;
    } catch (Throwable t) { // as in unary
      return Statuses.toStatus(t);
    }
  }
}
