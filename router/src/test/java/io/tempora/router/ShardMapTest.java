package io.tempora.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.proto.v1.Identity;
import org.junit.jupiter.api.Test;

class ShardMapTest {
  @Test
  void shardOfSlot_evenSplit_matchesRangeFormula() {
    for (int n = 1; n <= 7; n++) {
      ShardMap map = new ShardMap(n);
      for (int slot = 0; slot < ShardMap.SLOTS; slot++) {
        int shard = map.shardOfSlot(slot);
        assertThat((long) shard * ShardMap.SLOTS / n).isLessThanOrEqualTo(slot);
        assertThat((long) (shard + 1) * ShardMap.SLOTS / n).isGreaterThan(slot);
      }
      assertThat(map.shardOfSlot(map.firstSlot(n - 1))).isEqualTo(n - 1);
    }
  }

  @Test
  void slotOf_sameIdentity_isStableAndInRange() {
    Identity id =
        Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid("1").build();

    int slot = ShardMap.slotOf(id);

    assertThat(slot)
        .isBetween(0, ShardMap.SLOTS - 1)
        .isEqualTo(ShardMap.slotOf(id.toBuilder().build()));
  }

  @Test
  void constructor_zeroShards_isRejected() {
    assertThatThrownBy(() -> new ShardMap(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("shard count 0 must be in 1..16384");
  }
}
