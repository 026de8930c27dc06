package io.tempora.engine.store;

/**
 * A store failed to read or write (I/O error, corruption, disk full). The request that met it had
 * no effect unless a {@link Commit} for it was returned and only durability failed.
 */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
