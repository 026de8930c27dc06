package io.tempora.deploy;

import io.tempora.persistence.rocks.NativeLibrary;
import org.slf4j.LoggerFactory;

/**
 * Start-up work that does not depend on the command's flags, done on a background thread while the
 * main thread parses them and loads the configuration: the RocksDB native library (for {@code
 * shard}) and Netty's native transport (both commands). On 2 cores this takes it off the path to
 * the first answer (docs/BENCHMARKS.md "Start-up"). Failures are left to the code that needs the
 * library, which reports them where it always did.
 */
final class Preload {
  private Preload() {}

  /** Starts the preload for {@code command} ({@code shard} or {@code router}); else nothing. */
  static void start(String command) {
    boolean shard = command.equals("shard");
    if (!shard && !command.equals("router") || Boolean.getBoolean("tempora.preload.off")) {
      return;
    }
    // Logging first, on this thread: SLF4J hands a thread that asks while another initialises it
    // a substitute factory, which the launcher's log configuration cannot use.
    LoggerFactory.getILoggerFactory();
    Thread t =
        new Thread(
            () -> {
              try {
                if (shard) {
                  NativeLibrary.load();
                }
                io.grpc.netty.shaded.io.netty.channel.epoll.Epoll.isAvailable();
              } catch (RuntimeException | LinkageError e) {
                LoggerFactory.getLogger(Preload.class).debug("preload failed: {}", e.toString());
              }
            },
            "tempora-preload");
    t.setDaemon(true);
    t.start();
  }
}
