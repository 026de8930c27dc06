package io.tempora.engine.examples;

import static io.tempora.engine.examples.Fixtures.d;
import static io.tempora.engine.examples.Fixtures.engine;
import static io.tempora.engine.examples.Fixtures.ontology;
import static io.tempora.engine.examples.Fixtures.rec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.Kind;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.engine.query.ConflictPage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ListConflicts filters, order and pagination (DOMAIN.md §7.4). */
class ConflictListingTest {
  private Engine engine;

  @BeforeEach
  void setUp() {
    engine = engine();
    engine.setOntology(ontology().key("k", "id").build(), null);
    List<RecordInput> recs = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      // Two members of one entity disagree on title over [i, i+10): one DIRECT item each.
      recs.add(rec("hr", "h" + i, d("id", "x" + i, 0, 100), d("title", "Dev", i, i + 10)));
      recs.add(rec("crm", "c" + i, d("id", "x" + i, 0, 100), d("title", "Eng", i, i + 10)));
    }
    engine.upsert(recs);
  }

  private List<ConflictItem> all(ConflictFilter f, int pageSize) {
    List<ConflictItem> out = new ArrayList<>();
    String token = null;
    do {
      ConflictPage p = engine.reader().listConflicts(f, pageSize, token);
      assertThat(p.items().size()).isLessThanOrEqualTo(pageSize == 0 ? 100 : pageSize);
      out.addAll(p.items());
      token = p.nextPageToken();
    } while (token != null);
    return out;
  }

  @Test
  void listConflicts_pagesOfThree_equalOnePage() {
    List<ConflictItem> one = engine.reader().listConflicts(ConflictFilter.NONE, 0, null).items();
    assertThat(one).hasSize(25);
    assertThat(all(ConflictFilter.NONE, 3)).isEqualTo(one);
    assertThat(one)
        .isSortedAccordingTo((a, b) -> Long.compare(a.interval().start(), b.interval().start()));
  }

  @Test
  void listConflicts_lastPage_hasNoToken() {
    ConflictPage p = engine.reader().listConflicts(ConflictFilter.NONE, 25, null);
    assertThat(p.items()).hasSize(25);
    assertThat(p.nextPageToken()).isNull();
  }

  @Test
  void listConflicts_windowFilter_keepsOverlappingItemsUnclipped() {
    ConflictFilter f = new ConflictFilter(5L, 7L, null, null, null, null);
    List<ConflictItem> items = all(f, 2);
    // Items [i, i+10) overlap [5,7) for i = 0..6.
    assertThat(items).hasSize(7);
    assertThat(items.get(0).interval().start()).isZero();
    assertThat(items.get(0).interval().end()).isEqualTo(10);
  }

  @Test
  void listConflicts_kindAndTypeAndAttributeFilters_combine() {
    assertThat(
            all(new ConflictFilter(null, null, "title", Set.of(Kind.DIRECT), "person", null), 10))
        .hasSize(25);
    assertThat(all(new ConflictFilter(null, null, "other", null, null, null), 10)).isEmpty();
    assertThat(all(new ConflictFilter(null, null, null, Set.of(Kind.CONSTRAINT), null, null), 10))
        .isEmpty();
    assertThat(all(new ConflictFilter(null, null, null, null, "company", null), 10)).isEmpty();
  }

  @Test
  void listConflicts_entityFilter_namesOnlyThatEntity() {
    long eid = engine.reader().getRecord(Fixtures.id("hr", "h3")).entityId();
    List<ConflictItem> items = all(new ConflictFilter(null, null, null, null, null, eid), 1);
    assertThat(items).hasSize(1);
    assertThat(items.get(0).entityIds()).containsExactly(eid);
  }

  @Test
  void listConflicts_tokenWithOtherFilters_isInvalidArgument() {
    String token = engine.reader().listConflicts(ConflictFilter.NONE, 2, null).nextPageToken();
    ConflictFilter other = new ConflictFilter(null, null, "title", null, null, null);
    assertThatThrownBy(() -> engine.reader().listConflicts(other, 2, token))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("page_token: was issued for other filters");
    assertThatThrownBy(() -> engine.reader().listConflicts(ConflictFilter.NONE, 2, "%%%"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("page_token: malformed");
  }

  @Test
  void listConflicts_badPageSizeOrWindow_isInvalidArgument() {
    assertThatThrownBy(() -> engine.reader().listConflicts(ConflictFilter.NONE, 1001, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("page_size: 1001 must be between 0 and 1000");
    ConflictFilter bad = new ConflictFilter(10L, 10L, null, null, null, null);
    assertThatThrownBy(() -> engine.reader().listConflicts(bad, 0, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window: start 10 must be less than end 10");
  }
}
