package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.PreconditionFailedException;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.proto.internal.v1.ShardMapState;
import io.tempora.proto.internal.v1.SlotMove;
import io.tempora.proto.internal.v1.SlotOwner;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Record;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SlotStoreTest {
  private final InMemoryHomeDirectory directory = new InMemoryHomeDirectory();
  private final SlotStore slots = new SlotStore(directory);

  private static ShardMapState map(long epoch, int split) {
    return ShardMapState.newBuilder()
        .setEpoch(epoch)
        .addRanges(SlotOwner.newBuilder().setFirst(0).setLast(split - 1).setShard(0))
        .addRanges(SlotOwner.newBuilder().setFirst(split).setLast(16383).setShard(1))
        .build();
  }

  @Test
  void assign_higherEqualLowerEpoch_storesOnlyNewerAndRefusesConflictingEqual() {
    long first = slots.assign(map(1, 8192));
    long newer = slots.assign(map(2, 100));
    long older = slots.assign(map(1, 8192));
    long same = slots.assign(map(2, 100));

    assertThat(List.of(first, newer, older, same)).containsExactly(1L, 2L, 2L, 2L);
    assertThat(new SlotStore(directory).epoch()).isEqualTo(2);
    assertThat(slots.map()).isEqualTo(map(2, 100));
    assertThatThrownBy(() -> slots.assign(map(2, 200)))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessage(
            "shard map epoch 2 is already stored with another assignment; use a higher epoch");
  }

  @Test
  void assign_gapOrZeroEpoch_isRejectedNamingTheField() {
    ShardMapState gap =
        ShardMapState.newBuilder()
            .setEpoch(1)
            .addRanges(SlotOwner.newBuilder().setFirst(0).setLast(10).setShard(0))
            .addRanges(SlotOwner.newBuilder().setFirst(12).setLast(16383).setShard(1))
            .build();

    assertThatThrownBy(() -> slots.assign(gap))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("map.ranges[1]: 12-16383 must start at 11 and end at or after it, below 16384");
    assertThatThrownBy(() -> slots.assign(map(0, 5))).hasMessage("map.epoch: 0 must be at least 1");
    assertThat(slots.epoch()).isZero();
  }

  @Test
  void stage_sameEntityAgain_replacesItsRowsAndMovesAreListed() {
    Record a = record("a");
    Record b = record("b");
    slots.stage(List.of(5L, 6L), List.of(List.of(a, b), List.of(record("c"))), "m");
    slots.stage(List.of(5L), List.of(List.of(b)), "m");
    slots.saveMove(SlotMove.newBuilder().setId("m1").setPhase("COPY").build());

    assertThat(slots.staged(10)).hasSize(2);
    assertThat(slots.moves()).extracting(SlotMove::getId).containsExactly("m1");
    slots.removeMove("m1");
    assertThat(slots.moves()).isEmpty();
    assertThat(slots.homes(null, 10)).isEmpty();
  }

  @Test
  void stagedRows_afterTheFlipUntilUnstaged_areActivatingAndIndexedByIdentity() {
    slots.assign(map(1, 8192));
    Record a = record("a");
    Record b = record("b");
    byte[] ka = ShardInternalGrpcService.key(a.getIdentity());
    byte[] kb = ShardInternalGrpcService.key(b.getIdentity());
    slots.stage(List.of(5L, 6L), List.of(List.of(a), List.of(b)), "m1");
    // b joins entity 5 (a merge replayed), then entity 6 is staged again without it.
    slots.stage(List.of(5L), List.of(List.of(a, b)), "m1");
    slots.stage(List.of(6L), List.of(List.of()), "m1");
    slots.stageHomes(List.of(ka), List.of(7), "m1");

    assertThat(slots.activatingMove()).as("before the flip").isNull();
    assertThat(slots.recordStaged(kb)).as("b, staged under entity 5").isTrue();
    slots.assign(map(2, 100));
    assertThat(slots.activatingMove()).isEqualTo("m1");
    assertThat(new SlotStore(directory).activatingMove()).as("after reopen").isEqualTo("m1");
    assertThat(slots.awaitActive(() -> slots.recordStaged(ka), 0)).isEqualTo("m1");

    slots.unstage(slots.staged(10).stream().map(kv -> kv[0]).toList());
    assertThat(slots.recordStaged(ka)).isFalse();
    assertThat(slots.recordStaged(kb)).isFalse();
    assertThat(slots.homeStaged(ka)).isTrue();
    slots.activateHomes(slots.stagedHomes(10));
    assertThat(slots.homeStaged(ka)).isFalse();
    assertThat(slots.awaitActive(() -> slots.homeStaged(ka), TimeUnit.SECONDS.toNanos(5))).isNull();
    slots.endStaging();
    assertThat(slots.activatingMove()).isNull();
    assertThat(new SlotStore(directory).activatingMove()).isNull();
  }

  @Test
  void slotOfKey_directoryKey_equalsRouterSlotFormula() {
    Identity id =
        Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid("42").build();
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(ShardInternalGrpcService.key(id));

    assertThat(SlotStore.slotOfKey(ShardInternalGrpcService.key(id)))
        .isEqualTo((int) (crc.getValue() % 16384));
    assertThat(ShardInternalGrpcService.identityOf(ShardInternalGrpcService.key(id))).isEqualTo(id);
  }

  private static Record record(String uid) {
    return Record.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .build();
  }

  @Test
  void awaitNoFlippedMove_flippedRowUntilRemovedAndAfterReopen_waitsThenReturnsIt()
      throws Exception {
    SlotMove copying = SlotMove.newBuilder().setId("m1").setTarget(2).setPhase("COPY").build();
    slots.saveMove(copying);
    assertThat(slots.awaitNoFlippedMove(0)).as("a move not flipped yet").isNull();

    SlotMove flipped = copying.toBuilder().setPhase(SlotStore.FLIPPED).build();
    slots.saveMove(flipped);
    assertThat(slots.awaitNoFlippedMove(1_000_000))
        .as("flipped: the wait runs out")
        .isEqualTo(flipped);
    assertThat(new SlotStore(directory).awaitNoFlippedMove(0))
        .as("reopened over the same directory")
        .isEqualTo(flipped);

    CompletableFuture<SlotMove> waiting =
        CompletableFuture.supplyAsync(() -> slots.awaitNoFlippedMove(TimeUnit.MINUTES.toNanos(5)));
    slots.removeMove("m1");
    assertThat(waiting.get(5, TimeUnit.MINUTES)).as("a wait ended by the removal").isNull();
    assertThat(new SlotStore(directory).awaitNoFlippedMove(0)).isNull();
  }
}
