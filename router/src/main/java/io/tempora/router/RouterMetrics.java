package io.tempora.router;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.DoubleSupplier;

/**
 * A router's reconciliation metrics (OPERATIONS.md §5) on its own registry: {@code
 * tempora_reconcile_lag_seconds} (age of the oldest unreconciled change this router, as lease
 * holder, has seen pending, computed at each scrape; 0 when none or not the holder), {@code
 * tempora_reconcile_lease_held} and {@code tempora_reconcile_rounds_total} by {@code result}.
 * Thread-safe.
 */
public final class RouterMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private volatile DoubleSupplier lag = () -> 0;
  private final Gauge leaseHeld;
  private final Counter rounds;

  public RouterMetrics() {
    GaugeWithCallback.builder()
        .name("tempora_reconcile_lag_seconds")
        .help("Age of the oldest change not yet reconciled (lease holder only)")
        .callback(cb -> cb.call(lag.getAsDouble()))
        .register(registry);
    leaseHeld =
        Gauge.builder()
            .name("tempora_reconcile_lease_held")
            .help("1 while this router holds the reconcile lease")
            .register(registry);
    rounds =
        Counter.builder()
            .name("tempora_reconcile_rounds")
            .help("Reconciliation calls run by this router (each runs rounds until caught up)")
            .labelNames("result")
            .register(registry);
  }

  /** What {@code /metrics} exports. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Where the lag gauge reads its value at each scrape. */
  void lagSource(DoubleSupplier seconds) {
    lag = seconds;
  }

  void leaseHeld(boolean held) {
    leaseHeld.set(held ? 1 : 0);
  }

  void round(String result) {
    rounds.labelValues(result).inc();
  }

  /** Whether the lease gauge says held (tests). */
  boolean isLeaseHeld() {
    return leaseHeld.get() == 1;
  }

  /** The current lag gauge, in seconds (tests). */
  double lagSeconds() {
    return lag.getAsDouble();
  }
}
