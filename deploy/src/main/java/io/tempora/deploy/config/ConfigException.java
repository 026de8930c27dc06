package io.tempora.deploy.config;

/** A usage or configuration error: the process reports the message and exits 2. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message names the key, its source and what was wrong
   */
  public ConfigException(String message) {
    super(message);
  }
}
