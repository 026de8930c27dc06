package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks of a live process's {@code /metrics} text against OPERATIONS.md §5, shared by the shard
 * and router process tests: label names from the allow-list, fewer than 2,000 series, and {@code
 * promtool check metrics}.
 */
public final class MetricsText {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsText.class);

  private MetricsText() {}

  /** GET {@code /metrics} on a loopback HTTP port; the body (status 200 checked). */
  public static String scrape(int httpPort) throws IOException, InterruptedException {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("GET /metrics").isEqualTo(200);
      return r.body();
    }
  }

  /**
   * OPERATIONS.md §5: {@code tempora_} series carry only allow-listed labels ({@code version} of
   * the build info, {@code le} of histogram buckets besides), and a process exports fewer than
   * 2,000 series.
   */
  public static void assertConventions(String text) {
    Matcher label = Pattern.compile("[{,]([a-z_]+)=\"").matcher("");
    text.lines()
        .filter(l -> l.startsWith("tempora_"))
        .forEach(
            l -> {
              label.reset(l);
              while (label.find()) {
                assertThat(label.group(1))
                    .as("label of %s", l)
                    .isIn(
                        "method", "code", "outcome", "result", "reason", "mode", "kind", "cf",
                        "shard", "version", "le");
              }
            });
    long series = text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).count();
    assertThat(series).as("series per process").isLessThan(2000);
  }

  /** Runs promtool on the text, fetching it if needed; skips with the reason if it cannot. */
  public static void promtoolCheck(String text) throws IOException, InterruptedException {
    Path script = ShardHandle.root().resolve("deploy/src/test/scripts/promtool.sh");
    Process fetch = new ProcessBuilder(script.toString()).start();
    String path = new String(fetch.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    String why = new String(fetch.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (fetch.waitFor() != 0) {
      LOG.warn("skipping promtool check: {}", why);
      Assumptions.abort("promtool unavailable: " + why);
    }
    Process check = new ProcessBuilder(path, "check", "metrics").redirectErrorStream(true).start();
    check.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    check.getOutputStream().close();
    String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as("promtool check metrics:\n%s", out).isZero();
  }
}
