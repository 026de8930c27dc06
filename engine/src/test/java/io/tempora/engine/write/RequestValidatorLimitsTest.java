package io.tempora.engine.write;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Limits;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Limit messages: DOMAIN.md's text, plus the configuration key when the limits carry names. */
class RequestValidatorLimitsTest {
  private static final Limits.KeyNames KEYS =
      new Limits.KeyNames("k.records", "k.descriptors", "k.identity", "k.string");
  private static final Limits SMALL = new Limits(2, 3, 5, 6);

  @Test
  void validateUpsert_tooManyDescriptorsWithoutKeyNames_givesTheDomainMessageExactly() {
    assertThatThrownBy(
            () -> new RequestValidator(SMALL).validateUpsert(List.of(ok("a"), descriptors("b", 4))))
        .hasMessage("record 1: descriptor count 4 exceeds limit 3");
  }

  @Test
  void validateUpsert_eachLimitWithKeyNames_namesTheKeyAfterTheValue() {
    RequestValidator v = new RequestValidator(SMALL.withKeyNames(KEYS));

    assertThatThrownBy(() -> v.validateUpsert(List.of(ok("a"), ok("b"), ok("c"))))
        .hasMessage("records: count 3 exceeds limit 2 (k.records)");
    assertThatThrownBy(() -> v.validateUpsert(List.of(descriptors("a", 4))))
        .hasMessage("record 0: descriptor count 4 exceeds limit 3 (k.descriptors)");
    assertThatThrownBy(() -> v.validateUpsert(List.of(ok("abcdef"))))
        .hasMessage("record 0: uid length 6 exceeds limit 5 (k.identity)");
    assertThatThrownBy(
            () ->
                v.validateUpsert(
                    List.of(
                        new RecordInput(
                            Identity.of("p", "c", "a"),
                            List.of(Descriptor.always("email", "1234567"))))))
        .hasMessage("record 0: descriptor 0: value length 7 exceeds limit 6 (k.string)");
    assertThatThrownBy(
            () ->
                v.validateDelete(
                    List.of(
                        Identity.of("p", "c", "a"),
                        Identity.of("p", "c", "b"),
                        Identity.of("p", "c", "d"))))
        .hasMessage("identities: count 3 exceeds limit 2 (k.records)");
  }

  private static RecordInput ok(String uid) {
    return descriptors(uid, 1);
  }

  private static RecordInput descriptors(String uid, int n) {
    return new RecordInput(
        Identity.of("p", "c", uid),
        IntStream.range(0, n).mapToObj(i -> Descriptor.always("a" + i, "v")).toList());
  }
}
