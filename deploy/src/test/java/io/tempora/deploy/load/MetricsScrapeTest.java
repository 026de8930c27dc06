package io.tempora.deploy.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MetricsScrapeTest {
  @Test
  void since_groupCommitAndSyncMetrics_givesDeltasAndMeans() {
    MetricsScrape before =
        MetricsScrape.parse(
            """
            # HELP tempora_wal_syncs_total WAL fsyncs
            tempora_wal_syncs_total 10
            tempora_group_commit_batch_size_sum 20
            tempora_group_commit_batch_size_count 10
            tempora_wal_sync_duration_seconds_sum 0.01
            tempora_wal_sync_duration_seconds_count 10
            """);
    MetricsScrape after =
        MetricsScrape.parse(
            """
            tempora_wal_syncs_total 110
            tempora_group_commit_batch_size_sum 420
            tempora_group_commit_batch_size_count 110
            tempora_wal_sync_duration_seconds_sum 0.21
            tempora_wal_sync_duration_seconds_count 110
            tempora_ingest_records_total{outcome="created"} 5 1700000000
            tempora_ingest_records_total{outcome="updated"} 2
            """);

    var figures = after.since(before);

    assertThat(figures.get("wal_syncs")).isEqualTo(100.0);
    assertThat((Double) figures.get("requests_per_wal_sync")).isCloseTo(4.0, within());
    assertThat((Double) figures.get("wal_sync_mean_ms")).isCloseTo(2.0, within());
    assertThat(figures.get("ingest_records")).isEqualTo(7.0);
  }

  @Test
  void since_metricMissing_isNull() {
    var figures = MetricsScrape.parse("jvm_threads 3\n").since(MetricsScrape.parse(""));

    assertThat(figures.get("wal_syncs")).isNull();
    assertThat(figures.get("requests_per_wal_sync")).isNull();
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-9);
  }
}
