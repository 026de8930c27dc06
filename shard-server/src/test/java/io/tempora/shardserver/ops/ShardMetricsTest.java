package io.tempora.shardserver.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardMetricsTest {
  @Test
  void scrape_rightAfterConstruction_includesTheJvmMetricsRegisteredInTheBackground() {
    ShardMetrics metrics = new ShardMetrics(3, "test");

    List<String> names =
        metrics.registry().scrape().stream().map(s -> s.getMetadata().getPrometheusName()).toList();

    assertThat(names)
        .contains("jvm_memory_used_bytes", "jvm_threads_current", "tempora_build_info");
  }

  @Test
  void scrape_withNameFilter_alsoWaitsForTheJvmMetrics() {
    ShardMetrics metrics = new ShardMetrics(3, "test");

    List<MetricSnapshot> jvm =
        metrics.registry().scrape(n -> n.startsWith("jvm_")).stream().toList();

    assertThat(jvm).isNotEmpty();
  }
}
