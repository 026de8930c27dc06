package io.tempora.shardserver.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The plaintext HTTP/1.1 port (OPERATIONS.md §3): {@code /metrics} (Prometheus text), {@code
 * /healthz} (liveness) and {@code /readyz} (readiness: 200, or 503 with the reason). Owns its
 * server and thread; {@link #close()} stops both.
 */
public final class OpsHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private OpsHttpServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds and starts the server.
   *
   * @param host address to bind
   * @param port port, 0 for any free one
   * @param registry what {@code /metrics} exports
   * @param readiness null when ready, else why not
   * @param liveness null when live, else why not
   */
  public static OpsHttpServer start(
      String host,
      int port,
      PrometheusRegistry registry,
      Supplier<String> readiness,
      Supplier<String> liveness) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the HTTP port " + host + ":" + port, e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tempora-shard-http-1");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/metrics", new MetricsHandler(registry));
    server.createContext("/healthz", ex -> probe(ex, liveness.get()));
    server.createContext("/readyz", ex -> probe(ex, readiness.get()));
    server.start();
    return new OpsHttpServer(server, executor);
  }

  private static void probe(HttpExchange ex, String problem) throws IOException {
    try (ex) {
      byte[] body = (problem == null ? "ok\n" : problem + "\n").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      ex.sendResponseHeaders(problem == null ? 200 : 503, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
