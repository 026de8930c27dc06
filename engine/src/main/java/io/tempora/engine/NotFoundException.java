package io.tempora.engine;

/** A requested record, entity or identity does not exist (maps to NOT_FOUND). */
public final class NotFoundException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(message);
  }
}
