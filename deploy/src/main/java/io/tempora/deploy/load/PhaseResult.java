package io.tempora.deploy.load;

import java.time.Duration;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one phase measured. Items are records (or identities, or queries); {@code sent = acked +
 * failed}. Latencies are per request, in milliseconds.
 *
 * @param name the phase, e.g. {@code ingest}, {@code query-point}, {@code baseline-rocksdb}
 * @param seconds wall time of the phase
 * @param requests requests sent
 * @param failedRequests requests that failed
 * @param sent items sent
 * @param acked items in successful requests
 * @param failed items in failed requests
 * @param itemsPerSecond acknowledged items per second of wall time
 * @param requestsPerSecond requests per second of wall time
 * @param latencyMs per-request latency percentiles
 * @param errors failed requests by gRPC status code
 */
public record PhaseResult(
    String name,
    double seconds,
    long requests,
    long failedRequests,
    long sent,
    long acked,
    long failed,
    double itemsPerSecond,
    double requestsPerSecond,
    Latency latencyMs,
    Map<String, Long> errors) {

  /** Percentiles of per-request latency in milliseconds (0 when there were no requests). */
  public record Latency(double p50, double p90, double p99, double p999, double max, double mean) {
    static Latency of(Histogram h) {
      if (h.getTotalCount() == 0) {
        return new Latency(0, 0, 0, 0, 0, 0);
      }
      return new Latency(
          ms(h.getValueAtPercentile(50)),
          ms(h.getValueAtPercentile(90)),
          ms(h.getValueAtPercentile(99)),
          ms(h.getValueAtPercentile(99.9)),
          ms(h.getMaxValue()),
          Math.round(h.getMean()) / 1000.0);
    }

    private static double ms(long micros) {
      return micros / 1000.0;
    }
  }

  static PhaseResult of(
      String name,
      Duration elapsed,
      long requests,
      long failedRequests,
      long acked,
      long failed,
      Map<String, Long> errors,
      Histogram h) {
    double s = Math.max(elapsed.toNanos(), 1) / 1e9;
    return new PhaseResult(
        name,
        round(s),
        requests,
        failedRequests,
        acked + failed,
        acked,
        failed,
        round(acked / s),
        round(requests / s),
        Latency.of(h),
        Map.copyOf(errors));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
