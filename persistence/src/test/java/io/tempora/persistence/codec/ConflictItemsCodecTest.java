package io.tempora.persistence.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.model.Identity;
import io.tempora.engine.temporal.Interval;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A conflict unit's value built from its items' encodings equals the direct encoding. */
class ConflictItemsCodecTest {
  private static Direct direct(String attr, long entity, String a, String b) {
    return new Direct(
        "person",
        attr,
        Interval.of(10, Long.MAX_VALUE),
        entity,
        List.of(
            new ValueHolders(a, List.of(Identity.of("person", "crm", "u1"))),
            new ValueHolders(b, List.of(Identity.of("person", "crm", "u2")))));
  }

  @Test
  void conflictItemsOf_itemEncodings_equalsConflictItems() {
    List<ConflictItem> items =
        List.of(direct("city", 7, "c1", "c2"), direct("name", 7, "n1", "n\u00e92"));
    List<byte[]> each = items.stream().map(ValueCodec::conflictItem).toList();

    byte[] joined = ValueCodec.conflictItemsOf(each);

    assertThat(joined).isEqualTo(ValueCodec.conflictItems(items));
    assertThat(ValueCodec.conflictItems(joined)).isEqualTo(items);
    assertThat(ValueCodec.conflictItemsOf(List.of()))
        .isEqualTo(ValueCodec.conflictItems(List.of()));
  }

  @Test
  void conflictItemsOf_bytesWithoutTheLayout_isRejected() {
    assertThatThrownBy(() -> ValueCodec.conflictItemsOf(List.of(new byte[] {9, 1})))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
