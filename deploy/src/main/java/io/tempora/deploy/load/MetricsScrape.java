package io.tempora.deploy.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Server-side figures from a Prometheus text {@code /metrics} page (OPERATIONS.md §5), taken before
 * and after a phase: WAL fsyncs, their mean duration and the group-commit size (requests per
 * fsync). A figure the server does not export is reported as null ("n/a"). Immutable.
 *
 * @param values each metric name summed over its label sets
 */
record MetricsScrape(Map<String, Double> values) {
  static final String SYNCS = "tempora_wal_syncs_total";
  static final String SYNC_SUM = "tempora_wal_sync_duration_seconds_sum";
  static final String SYNC_COUNT = "tempora_wal_sync_duration_seconds_count";
  static final String GROUP_SUM = "tempora_group_commit_batch_size_sum";
  static final String GROUP_COUNT = "tempora_group_commit_batch_size_count";
  static final String WAL_BYTES = "tempora_wal_bytes_total";
  static final String INGESTED = "tempora_ingest_records_total";

  /** Fetches and parses the page; an unreachable URL is an error naming it. */
  static MetricsScrape fetch(String url) {
    try (HttpClient client =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "--metrics-url " + url + " answered HTTP " + response.statusCode());
      }
      return parse(response.body());
    } catch (IOException e) {
      throw new IllegalStateException("--metrics-url " + url + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while scraping " + url, e);
    }
  }

  /** Parses Prometheus text exposition: {@code name{labels} value [timestamp]} lines. */
  static MetricsScrape parse(String text) {
    Map<String, Double> values = new HashMap<>();
    for (String line : text.split("\n")) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      int nameEnd = brace >= 0 && brace < space ? brace : space;
      int valueStart = brace >= 0 && brace < space ? line.indexOf('}') + 1 : space;
      if (nameEnd <= 0 || valueStart <= 0) {
        continue;
      }
      String[] rest = line.substring(valueStart).strip().split("\\s+");
      try {
        values.merge(line.substring(0, nameEnd), Double.parseDouble(rest[0]), Double::sum);
      } catch (NumberFormatException e) {
        // Not a sample line we understand; the figures built from it become n/a.
      }
    }
    return new MetricsScrape(Map.copyOf(values));
  }

  /** The server-side figures of the interval from {@code before} to this scrape. */
  Map<String, Object> since(MetricsScrape before) {
    Map<String, Object> out = new LinkedHashMap<>();
    Double syncs = delta(before, SYNCS);
    out.put("wal_syncs", syncs);
    out.put("wal_sync_mean_ms", ratio(delta(before, SYNC_SUM), delta(before, SYNC_COUNT), 1000));
    out.put(
        "requests_per_wal_sync", ratio(delta(before, GROUP_SUM), delta(before, GROUP_COUNT), 1));
    out.put("wal_bytes", delta(before, WAL_BYTES));
    out.put("ingest_records", delta(before, INGESTED));
    return out;
  }

  private Double delta(MetricsScrape before, String name) {
    Double now = values.get(name);
    return now == null ? null : now - before.values.getOrDefault(name, 0.0);
  }

  private static Double ratio(Double sum, Double count, double scale) {
    return sum == null || count == null || count == 0 ? null : sum / count * scale;
  }
}
