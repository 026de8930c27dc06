package io.tempora.shardserver.grpc;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.tempora.engine.NotFoundException;
import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become gRPC statuses (STYLE.md, Errors). Stateless; thread-safe.
 */
public final class Statuses {
  private static final Logger LOG = LoggerFactory.getLogger(Statuses.class);

  /** The description of INTERNAL answers; details go to the server log only. */
  public static final String INTERNAL_MESSAGE = "internal error; see the server log";

  private Statuses() {}

  /**
   * The status for an exception thrown while serving a call. Bad input (IllegalArgumentException)
   * keeps its message verbatim as INVALID_ARGUMENT; unknown failures become INTERNAL with a generic
   * text and are logged once here with their stack trace.
   */
  public static Status toStatus(Throwable t) {
    return switch (t) {
      case StatusRuntimeException e -> e.getStatus();
      case StatusException e -> e.getStatus();
      case IllegalArgumentException e -> Status.INVALID_ARGUMENT.withDescription(e.getMessage());
      case NotFoundException e -> Status.NOT_FOUND.withDescription(e.getMessage());
      case PreconditionFailedException e ->
          Status.FAILED_PRECONDITION.withDescription(e.getMessage());
      case StoreException e -> Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e);
      case UnsupportedOperationException e -> Status.UNIMPLEMENTED.withDescription(e.getMessage());
      default -> {
        LOG.error("unexpected failure while serving a call", t);
        yield Status.INTERNAL.withDescription(INTERNAL_MESSAGE).withCause(t);
      }
    };
  }
}
