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

  @Test
  void jvmMetrics_manyShardsInOneJvm_registeredOnceAndInEveryScrape() throws Exception {
    java.lang.reflect.Field field =
        io.prometheus.metrics.instrumentation.jvm.JvmMetrics.class.getDeclaredField("REGISTERED");
    field.setAccessible(true);
    java.util.Set<?> registered = (java.util.Set<?>) field.get(null);
    new ShardMetrics(0, "test").registry().scrape();
    int before = registered.size();

    List<ShardMetrics> shards = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      shards.add(new ShardMetrics(i, "test"));
    }

    assertThat(registered)
        .as("registries the Prometheus library keeps for the JVM's life")
        .hasSize(before);
    for (ShardMetrics m : List.of(shards.get(0), shards.get(49))) {
      List<String> names =
          m.registry().scrape().stream().map(x -> x.getMetadata().getPrometheusName()).toList();
      assertThat(names).contains("jvm_memory_used_bytes", "tempora_shard_info");
      assertThat(names).doesNotHaveDuplicates();
    }
  }
}
