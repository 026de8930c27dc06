package io.tempora.engine.examples;

import static io.tempora.engine.examples.Fixtures.d;
import static io.tempora.engine.examples.Fixtures.engine;
import static io.tempora.engine.examples.Fixtures.id;
import static io.tempora.engine.examples.Fixtures.ontology;
import static io.tempora.engine.examples.Fixtures.rec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.write.WriteHook;
import io.tempora.engine.write.WriteResult;
import io.tempora.engine.write.WriteResult.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The compare-and-write a move's carry-over uses ({@link Engine#upsertIfCurrent}, {@link
 * Engine#deleteIfCurrent}): applied only where the record still holds the expected descriptors.
 */
class ConditionalWriteTest {
  private static final long S = 86400;
  private static final long E = 432000;

  private Engine e;
  private final RecordInput copy = rec("crm", "1", d("email", "a@x", S, E));
  private final RecordInput source = rec("crm", "1", d("email", "b@x", S, E));
  private final RecordInput newer = rec("crm", "1", d("email", "c@x", S, E));

  @BeforeEach
  void start() {
    e = engine();
    e.setOntology(ontology().key("email", "email").build(), null);
    e.upsert(List.of(copy));
  }

  @Test
  void upsertIfCurrent_copyUnchanged_appliesTheSourceState() {
    WriteResult r = e.upsertIfCurrent(List.of(source), List.of(copy));

    assertThat(r.items().getFirst().outcome()).isEqualTo(Outcome.UPDATED);
    assertThat(descriptors()).isEqualTo(Descriptors.of(source.descriptors()));
  }

  @Test
  void upsertIfCurrent_hookDoesNotAdmit_leavesTheCopy() {
    WriteHook refusing =
        new WriteHook() {
          @Override
          public boolean admits(io.tempora.engine.model.Identity identity) {
            return false;
          }
        };

    WriteResult r = e.upsertIfCurrent(List.of(source), List.of(copy), refusing);
    WriteResult d = e.deleteIfCurrent(List.of(copy), refusing);

    assertThat(r.items().getFirst().outcome()).isEqualTo(Outcome.NOT_FOUND);
    assertThat(d.items().getFirst().outcome()).isEqualTo(Outcome.NOT_FOUND);
    assertThat(descriptors()).isEqualTo(Descriptors.of(copy.descriptors()));
  }

  @Test
  void upsert_unchanged_stillCallsTheHook() {
    List<WriteResult> told = new ArrayList<>();
    WriteHook hook =
        new WriteHook() {
          @Override
          public void applied(WriteResult result) {
            told.add(result);
          }
        };

    WriteResult r = e.upsert(List.of(copy), hook);

    assertThat(r.items().getFirst().outcome()).isEqualTo(Outcome.UNCHANGED);
    assertThat(told).containsExactly(r);
  }

  @Test
  void upsertIfCurrent_copyChangedSince_leavesTheNewerWrite() {
    e.upsert(List.of(newer));

    WriteResult r = e.upsertIfCurrent(List.of(source), List.of(copy));

    assertThat(r.items().getFirst().outcome()).isEqualTo(Outcome.NOT_FOUND);
    assertThat(r.tx()).isZero();
    assertThat(descriptors()).isEqualTo(Descriptors.of(newer.descriptors()));
  }

  @Test
  void upsertIfCurrent_copyDeletedSince_createsNothing() {
    e.delete(List.of(copy.identity()));

    WriteResult r = e.upsertIfCurrent(List.of(source), List.of(copy));

    assertThat(r.items().getFirst().outcome()).isEqualTo(Outcome.NOT_FOUND);
    assertThat(e.reader().getRecord(copy.identity()).live()).isFalse();
  }

  @Test
  void deleteIfCurrent_onlyWhileTheCopyIsUnchanged() {
    e.upsert(List.of(newer));

    assertThat(e.deleteIfCurrent(List.of(copy)).items().getFirst().outcome())
        .isEqualTo(Outcome.NOT_FOUND);
    assertThat(e.reader().getRecord(copy.identity()).live()).isTrue();
    assertThat(e.deleteIfCurrent(List.of(newer)).items().getFirst().outcome())
        .isEqualTo(Outcome.DELETED);
    assertThat(e.reader().getRecord(copy.identity()).live()).isFalse();
  }

  @Test
  void upsertIfCurrent_identityMismatch_isRejectedAndChangesNothing() {
    RecordInput other = rec(id("crm", "2"), d("email", "b@x", S, E));

    assertThatThrownBy(() -> e.upsertIfCurrent(List.of(other), List.of(copy)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("record 0: identity differs");
    assertThat(descriptors()).isEqualTo(Descriptors.of(copy.descriptors()));
  }

  private Descriptors descriptors() {
    return e.reader().getRecord(copy.identity()).descriptors();
  }
}
