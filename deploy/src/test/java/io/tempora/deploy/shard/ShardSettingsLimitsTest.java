package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.deploy.config.ConfigLoader;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.store.InMemoryStore;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A shard's limit errors name the configuration key that sets the limit, after the value. */
class ShardSettingsLimitsTest {
  @Test
  void upsert_overConfiguredDescriptorLimit_messageNamesValueLimitAndKey() {
    ShardSettings s =
        ShardSettings.of(
            ConfigLoader.load(
                null,
                Map.of(),
                List.of(
                    ConfigLoader.setFlag("shard.listen=127.0.0.1:0"),
                    ConfigLoader.setFlag("shard.id=0"),
                    ConfigLoader.setFlag("shard.data_dir=unused"),
                    ConfigLoader.setFlag("limits.max_descriptors_per_record=2"),
                    ConfigLoader.setFlag("limits.max_records_per_request=3"))));
    try (InMemoryStore store = new InMemoryStore()) {
      Engine engine = new Engine(store, new EngineConfig(0, s.limits()));

      assertThatThrownBy(() -> engine.upsert(List.of(record("a", 1), record("b", 3))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "record 1: descriptor count 3 exceeds limit 2 (limits.max_descriptors_per_record)");
      assertThatThrownBy(
              () -> engine.upsert(IntStream.range(0, 4).mapToObj(i -> record("r" + i, 1)).toList()))
          .hasMessage("records: count 4 exceeds limit 3 (limits.max_records_per_request)");
    }
  }

  private static RecordInput record(String uid, int descriptors) {
    return new RecordInput(
        Identity.of("person", "crm", uid),
        IntStream.range(0, descriptors).mapToObj(i -> Descriptor.always("a" + i, "v")).toList());
  }
}
