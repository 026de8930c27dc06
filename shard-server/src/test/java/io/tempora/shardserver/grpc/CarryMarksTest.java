package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.write.WriteResult.Outcome;
import io.tempora.persistence.InMemoryHomeDirectory;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The carry-over marks of a move's target (docs/distributed.md "Writes during a move"): set with
 * the copy, cleared by any client write (an UNCHANGED one included), required by the carry-over's
 * compare-and-write, kept across a reopen of the directory store, swept by journal entry.
 */
class CarryMarksTest {
  private static final Identity R = Identity.of("person", "crm", "r");
  private static final RecordInput COPY = record("a@x");
  private static final RecordInput SOURCE = record("b@x");

  private final InMemoryStore store = new InMemoryStore();
  private final InMemoryHomeDirectory directory = new InMemoryHomeDirectory();
  private final Engine engine = new Engine(store, new EngineConfig(0, Limits.defaults()));

  @AfterEach
  void close() {
    directory.close();
    store.close();
  }

  private static RecordInput record(String email) {
    return new RecordInput(R, List.of(new Descriptor("email", email, 0, 100)));
  }

  private CarryMarks copied() {
    CarryMarks marks = CarryMarks.open(directory);
    engine.upsert(List.of(COPY), marks.marking(List.of(R), 3, 7));
    return marks;
  }

  private Outcome carryOver(CarryMarks marks) {
    return engine
        .upsertIfCurrent(List.of(SOURCE), List.of(COPY), marks.admittingMarked())
        .items()
        .getFirst()
        .outcome();
  }

  @Test
  void carryOver_copyStillMarked_applies() {
    CarryMarks marks = copied();

    assertThat(carryOver(marks)).isEqualTo(Outcome.UPDATED);
  }

  @Test
  void carryOver_afterUnchangedClientWrite_isNotApplied() {
    CarryMarks marks = copied();
    CarryMarks.Clearing clearing = marks.clearing(List.of(COPY));
    assertThat(engine.upsert(List.of(COPY), clearing).items().getFirst().outcome())
        .isEqualTo(Outcome.UNCHANGED);
    clearing.persist();

    assertThat(carryOver(marks)).isEqualTo(Outcome.NOT_FOUND);
    assertThat(CarryMarks.open(directory).size()).as("marks after a reopen").isZero();
  }

  @Test
  void carryOver_afterClientDeleteAndSameContentAgain_isNotApplied() {
    CarryMarks marks = copied();
    CarryMarks.Clearing delete = marks.clearingDeletes(List.of(R));
    engine.delete(List.of(R), delete);
    delete.persist();
    engine.upsert(List.of(COPY), marks.clearing(List.of(COPY)));

    assertThat(carryOver(marks)).isEqualTo(Outcome.NOT_FOUND);
  }

  @Test
  void open_withSlotMoveRowsStagedOnTheSameDirectory_readsOnlyTheMarks() {
    // The staged-record index of a slot move and the marks share the directory store: their key
    // prefixes must not overlap (both once used 0xF3, and open() then failed on the index rows).
    copied();
    io.tempora.proto.v1.Record staged =
        io.tempora.proto.v1.Record.newBuilder()
            .setIdentity(
                io.tempora.proto.v1.Identity.newBuilder()
                    .setEntityType("person")
                    .setPerspective("crm")
                    .setUid("staged"))
            .build();
    SlotStore slots = new SlotStore(directory);
    slots.stage(List.of(5L), List.of(List.of(staged)), "m");

    CarryMarks reopened = CarryMarks.open(directory);

    assertThat(reopened.size()).isEqualTo(1);
    assertThat(new SlotStore(directory).staged(10)).hasSize(1);
  }

  @Test
  void open_afterMarking_keepsTheMark() {
    copied();

    CarryMarks reopened = CarryMarks.open(directory);

    assertThat(reopened.size()).isEqualTo(1);
    assertThat(carryOver(reopened)).isEqualTo(Outcome.UPDATED);
  }

  @Test
  void release_afterCarryOver_dropsTheMarkDurably() {
    CarryMarks marks = copied();

    marks.release(List.of(R));

    assertThat(marks.size()).isZero();
    assertThat(CarryMarks.open(directory).size()).isZero();
  }

  @Test
  void sweep_upToAnEntry_dropsOnlyMarksAtOrBeforeIt() {
    CarryMarks marks = CarryMarks.open(directory);
    Identity older = Identity.of("person", "crm", "older");
    Identity newer = Identity.of("person", "crm", "newer");
    engine.upsert(
        List.of(new RecordInput(older, COPY.descriptors())), marks.marking(List.of(older), 2, 9));
    engine.upsert(List.of(COPY), marks.marking(List.of(R), 3, 7));
    engine.upsert(
        List.of(new RecordInput(newer, COPY.descriptors())), marks.marking(List.of(newer), 3, 8));

    assertThat(marks.sweep(3, 7)).isEqualTo(1);

    assertThat(CarryMarks.open(directory).size()).isEqualTo(1);
    assertThat(carryOver(marks)).as("R's mark was swept").isEqualTo(Outcome.NOT_FOUND);
  }
}
