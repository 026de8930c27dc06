package io.tempora.engine;

/** The request is valid but the state does not allow it (maps to FAILED_PRECONDITION). */
public final class PreconditionFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PreconditionFailedException(String message) {
    super(message);
  }
}
