package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.PreconditionFailedException;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.proto.internal.v1.MoveJournalEntry;
import io.tempora.proto.internal.v1.MovedRecord;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Record;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shard's move journal (docs/distributed.md "Writes during a move"): rows, fence, bounds. */
class MoveJournalTest {
  private final InMemoryHomeDirectory directory = new InMemoryHomeDirectory();
  private final ReconcileState state = ReconcileState.open(directory, Clock.systemUTC());
  private final MoveJournal journal = new MoveJournal(directory, state);

  private static MoveJournalEntry entry(long epoch, long sequence, int records) {
    MoveJournalEntry.Builder b =
        MoveJournalEntry.newBuilder().setEpoch(epoch).setSequence(sequence).setTarget(2);
    for (int i = 0; i < records; i++) {
      b.addRecords(
          MovedRecord.newBuilder()
              .setCopy(
                  Record.newBuilder()
                      .setIdentity(Identity.newBuilder().setEntityType("p").setUid("u" + i)))
              .setFromSlot(7)
              .setToSlot(11000));
    }
    return b.build();
  }

  @Test
  void saveTwiceAndRemoveTwice_keepsOneRowInKeyOrderAndSurvivesReopen() {
    journal.save(3, entry(3, 2, 1));
    journal.save(3, entry(3, 1, 2));
    int again = journal.save(3, entry(3, 1, 2).toBuilder().setCarried(true).build());
    MoveJournal reopened = new MoveJournal(directory, state);

    assertThat(again).isEqualTo(2);
    assertThat(reopened.pending()).isEqualTo(2);
    assertThat(reopened.list(10))
        .containsExactly(entry(3, 1, 2).toBuilder().setCarried(true).build(), entry(3, 2, 1));
    assertThat(reopened.list(1)).hasSize(1);
    assertThat(journal.remove(4, 3, 1)).isEqualTo(1);
    assertThat(journal.remove(4, 3, 1)).isEqualTo(1);
    assertThat(journal.list(10)).containsExactly(entry(3, 2, 1));
  }

  @Test
  void saveOrRemove_belowHighestEpoch_isRejectedAndChangesNothing() {
    journal.save(5, entry(5, 1, 1));
    state.acknowledge(6, 0); // a newer holder was seen

    assertThatThrownBy(() -> journal.save(5, entry(5, 2, 1)))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessage("reconcile lease epoch 5 is below the highest epoch 6 seen");
    assertThatThrownBy(() -> journal.remove(5, 5, 1))
        .isInstanceOf(PreconditionFailedException.class);
    assertThat(journal.list(10)).containsExactly(entry(5, 1, 1));
    assertThat(journal.remove(6, 5, 1)).isZero();
  }

  @Test
  void save_emptyOversizedOrFromAHigherEpoch_isRejected() {
    assertThatThrownBy(() -> journal.save(1, entry(1, 1, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("entry.records: 0 must be in 1..10000");
    assertThatThrownBy(() -> journal.save(1, entry(1, 1, MoveJournal.MAX_RECORDS + 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> journal.save(1, entry(2, 1, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("entry.epoch: 2 must not be above the request's epoch 1");
    assertThat(journal.list(10)).isEqualTo(List.of());
  }
}
