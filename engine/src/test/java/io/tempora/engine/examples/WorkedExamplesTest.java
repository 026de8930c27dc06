package io.tempora.engine.examples;

import static io.tempora.engine.examples.Fixtures.d;
import static io.tempora.engine.examples.Fixtures.engine;
import static io.tempora.engine.examples.Fixtures.id;
import static io.tempora.engine.examples.Fixtures.ontology;
import static io.tempora.engine.examples.Fixtures.rec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.Reader.EntitySummary;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityEvent.Kind;
import io.tempora.engine.model.Identity;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.engine.query.Explanation;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.write.WriteResult;
import io.tempora.engine.write.WriteResult.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worked examples of DOMAIN.md as plain unit tests. */
class WorkedExamplesTest {
  private static final long S = 86400;
  private static final long E = 432000;

  private static List<List<Identity>> partition(Engine e) {
    return e.reader().partition().stream().map(EntitySummary::members).toList();
  }

  private static List<ConflictItem> conflicts(Engine e) {
    return e.reader().listConflicts(ConflictFilter.NONE, 1000, null).items();
  }

  private static void blockedMergeOntology(Engine e) {
    e.setOntology(
        ontology()
            .key("name_country", "name", "country")
            .strong("phone")
            .strong("employee_id")
            .build(),
        null);
  }

  private static void ingestA(Engine e, String... order) {
    for (String who : order) {
      switch (who) {
        case "crm:1" ->
            e.upsert(
                List.of(
                    rec(
                        "crm",
                        "1",
                        d("name", "John Doe", S, E),
                        d("country", "US", S, E),
                        d("phone", "555-1111", S, E))));
        case "crm:2" ->
            e.upsert(
                List.of(
                    rec(
                        "crm",
                        "2",
                        d("name", "John Doe", S, E),
                        d("country", "US", S, E),
                        d("phone", "555-2222", S, E))));
        default ->
            e.upsert(
                List.of(
                    rec(
                        "hr",
                        "3",
                        d("name", "John Doe", S, E),
                        d("country", "US", S, E),
                        d("employee_id", "EMP001", S, E))));
      }
    }
  }

  @Test
  void partition_blockedMerge_isIndependentOfArrivalOrder() {
    List<List<String>> orders =
        List.of(
            List.of("crm:1", "crm:2", "hr:3"),
            List.of("hr:3", "crm:2", "crm:1"),
            List.of("crm:2", "hr:3", "crm:1"));
    for (List<String> order : orders) {
      Engine e = engine();
      blockedMergeOntology(e);
      ingestA(e, order.toArray(String[]::new));
      assertThat(partition(e))
          .as("order %s", order)
          .containsExactly(List.of(id("crm", "1"), id("hr", "3")), List.of(id("crm", "2")));
    }
  }

  @Test
  void events_blockedMergeArrivingLast_splitsKeeperHoldingSmallestRecord() {
    Engine e = engine();
    blockedMergeOntology(e);
    ingestA(e, "hr:3", "crm:2");
    WriteResult third =
        e.upsert(
            List.of(
                rec(
                    "crm",
                    "1",
                    d("name", "John Doe", S, E),
                    d("country", "US", S, E),
                    d("phone", "555-1111", S, E))));
    assertThat(third.tx()).isEqualTo(3);
    assertThat(third.events()).containsExactly(new EntityEvent(3, Kind.SPLIT, 1, List.of(2L)));
    assertThat(third.items().get(0).entityId()).isEqualTo(1);
  }

  @Test
  void conflicts_blockedMerge_reportsMinimalEvidence() {
    Engine e = engine();
    blockedMergeOntology(e);
    ingestA(e, "crm:1", "crm:2", "hr:3");
    List<ConflictItem> items = conflicts(e);
    assertThat(items).hasSize(1);
    BlockedMerge b = (BlockedMerge) items.get(0);
    assertThat(b.linkRecords()).containsExactly(id("crm", "1"), id("crm", "2"));
    assertThat(b.key()).isEqualTo("name_country");
    assertThat(b.tuple()).containsExactly("John Doe", "US");
    assertThat(b.linkInterval()).isEqualTo(Interval.of(S, E));
    assertThat(b.attribute()).isEqualTo("phone");
    assertThat(b.perspective()).isEqualTo("crm");
    assertThat(b.valueA()).isEqualTo("555-1111");
    assertThat(b.valueB()).isEqualTo("555-2222");
    assertThat(b.interval()).isEqualTo(Interval.of(S, E));
    Explanation x = e.reader().explain(id("crm", "1"), id("crm", "2"));
    assertThat(x.outcome()).isEqualTo(Explanation.Outcome.BLOCKED);
    assertThat(x.path()).containsExactly(id("crm", "1"), id("crm", "2"));
    assertThat(x.blocked()).containsExactly(b);
    assertThat(e.reader().explain(id("crm", "1"), id("hr", "3")).outcome())
        .isEqualTo(Explanation.Outcome.SAME_ENTITY);
  }

  @Test
  void partition_nameChangeAdjacency_doesNotLinkAdjacentIntervals() {
    Engine e = engine();
    e.setOntology(ontology().key("name_country", "name", "country").build(), null);
    e.upsert(
        List.of(
            rec(
                "hr",
                "1",
                d("name", "Ann Lee", 0, 100),
                d("name", "Ann Kim", 100, 200),
                d("country", "US", 0, 200))));
    e.upsert(
        List.of(rec("crm", "7", d("name", "Ann Lee", 100, 150), d("country", "US", 100, 150))));
    e.upsert(
        List.of(rec("crm", "8", d("name", "Ann Kim", 150, 300), d("country", "US", 150, 300))));
    assertThat(partition(e))
        .containsExactly(List.of(id("crm", "7")), List.of(id("crm", "8"), id("hr", "1")));
    long eid = e.reader().getRecord(id("hr", "1")).entityId();
    assertThat(e.reader().getEntity(eid, null).golden())
        .containsExactly(
            d("country", "US", 0, 300),
            d("name", "Ann Lee", 0, 100),
            d("name", "Ann Kim", 100, 300));
  }

  @Test
  void chain_deleteAndReingestBridge_splitsAndMergesWithEvents() {
    Engine e = engine();
    e.setOntology(ontology().key("email_key", "email").key("ssn_key", "ssn").build(), null);
    e.upsert(List.of(rec("crm", "a", d("email", "a@x", 0, 100))));
    e.upsert(List.of(rec("hr", "c", d("ssn", "111", 120, 200))));
    WriteResult bridge =
        e.upsert(List.of(rec("erp", "b", d("email", "a@x", 50, 150), d("ssn", "111", 50, 150))));
    assertThat(bridge.events()).containsExactly(new EntityEvent(3, Kind.MERGED, 1, List.of(2L)));
    Explanation x = e.reader().explain(id("crm", "a"), id("hr", "c"));
    assertThat(x.outcome()).isEqualTo(Explanation.Outcome.SAME_ENTITY);
    assertThat(x.path()).containsExactly(id("crm", "a"), id("erp", "b"), id("hr", "c"));
    assertThat(x.steps().get(0).piece()).isEqualTo(Interval.of(50, 100));
    assertThat(x.steps().get(1).key()).isEqualTo("ssn_key");
    assertThat(x.steps().get(1).piece()).isEqualTo(Interval.of(120, 150));
    WriteResult del = e.delete(List.of(id("erp", "b")));
    assertThat(del.events()).containsExactly(new EntityEvent(4, Kind.SPLIT, 1, List.of(3L)));
    assertThat(e.reader().explain(id("crm", "a"), id("hr", "c")).outcome())
        .isEqualTo(Explanation.Outcome.NO_LINK_PATH);
    EntityInfo e2 = e.reader().getEntity(2, null);
    assertThat(e2.status()).isEqualTo(io.tempora.engine.model.EntityRow.Status.MERGED);
    assertThat(e2.resolved()).isEqualTo(1);
    WriteResult again =
        e.upsert(List.of(rec("erp", "b", d("email", "a@x", 50, 150), d("ssn", "111", 50, 150))));
    assertThat(again.events()).containsExactly(new EntityEvent(5, Kind.MERGED, 1, List.of(3L)));
    assertThat(again.items().get(0).recordId()).isEqualTo(3);
  }

  @Test
  void history_upsertUnchangedUpdateDeleteRecreate_followsTable() {
    Engine e = engine();
    e.setOntology(ontology().key("email_key", "email").build(), null);
    assertThat(e.upsert(List.of(rec("crm", "1", d("email", "a", 0, 10)))).tx()).isEqualTo(1);
    WriteResult same =
        e.upsert(List.of(rec("crm", "1", d("email", "a", 0, 4), d("email", "a", 4, 10))));
    assertThat(same.tx()).isZero();
    assertThat(same.items().get(0).outcome()).isEqualTo(Outcome.UNCHANGED);
    assertThat(same.items().get(0).entityId()).isEqualTo(1);
    assertThat(e.upsert(List.of(rec("crm", "1", d("email", "b", 0, 10)))).items().get(0).outcome())
        .isEqualTo(Outcome.UPDATED);
    WriteResult del = e.delete(List.of(id("crm", "1")));
    assertThat(del.events()).containsExactly(new EntityEvent(3, Kind.DELETED, 1, List.of()));
    WriteResult back = e.upsert(List.of(rec("crm", "1", d("email", "a", 0, 10))));
    assertThat(back.items().get(0).version()).isEqualTo(4);
    assertThat(back.items().get(0).entityId()).isEqualTo(2);
    assertThat(e.reader().getRecord(id("crm", "1")).history()).hasSize(4);
  }

  @Test
  void direct_nameChange_yieldsExactlyFiveItems() {
    Engine e = engine();
    e.setOntology(ontology().key("name_country", "name", "country").build(), null);
    Identity hr = Identity.of("company", "hr_system", "1");
    Identity crm = Identity.of("company", "crm_system", "2");
    e.upsert(
        List.of(
            rec(
                hr,
                d("name", "GB0000653229", 851990400, 1482451200),
                d("name", "INVESTINMEDIA", 851990400, 1179705600),
                d("name", "AVESCO GROUP", 1179705600, 1241136000),
                d("name", "AVESCO GROUP PLC", 1241136000, 1482451200),
                d("country", "GB", 851990400, 1482451200)),
            rec(
                crm,
                d("name", "GB0000653229", 946684800, 1022889600),
                d("name", "AVESCO", 946684800, 1022889600),
                d("country", "GB", 946684800, 1022889600))));
    List<ConflictItem> items = conflicts(e);
    assertThat(items).hasSize(5).allMatch(i -> i instanceof Direct);
    Direct second = (Direct) items.get(1);
    assertThat(second.interval()).isEqualTo(Interval.of(946684800, 1022889600));
    assertThat(second.values()).hasSize(3);
    assertThat(second.values().get(1).holders()).containsExactly(crm, hr);
    long eid = e.reader().getRecord(hr).entityId();
    assertThat(e.reader().getEntity(eid, null).golden())
        .containsExactly(d("country", "GB", 851990400, 1482451200));
  }

  @Test
  void constraints_sharedEmail_reportThreeItems() {
    Engine e = engine();
    e.setOntology(
        ontology()
            .key("emp", "employee_id")
            .constraint(Fixtures.unique("unique_email", "email"))
            .constraint(Fixtures.uniquePerPerspective("email_per_source", "email"))
            .build(),
        null);
    e.upsert(
        List.of(
            rec("hr", "1", d("employee_id", "1001", 0, 100), d("email", "j@c", 0, 100)),
            rec("hr", "2", d("employee_id", "1002", 50, 150), d("email", "j@c", 50, 150)),
            rec("crm", "9", d("employee_id", "1003", 0, 200), d("email", "j@c", 120, 200))));
    List<ConflictItem> items = conflicts(e);
    assertThat(items).hasSize(3).allMatch(i -> i instanceof ConstraintViolation);
    ConstraintViolation first = (ConstraintViolation) items.get(0);
    assertThat(first.interval()).isEqualTo(Interval.of(50, 100));
    assertThat(first.constraint()).isEqualTo("email_per_source");
  }

  @Test
  void query_accessManagement_intersectsAcrossMembers() {
    Engine e = engine();
    e.setOntology(ontology().key("email_key", "email").build(), null);
    e.upsert(
        List.of(
            rec(
                "okta",
                "u1",
                d("email", "x", 0, 30),
                d("org", "acme", 0, 30),
                d("role", "admin", 10, 20),
                d("role", "viewer", 20, 30)),
            rec(
                "ldap",
                "u1",
                d("email", "x", 0, 30),
                d("org", "acme", 0, 30),
                d("role", "admin", 12, 18))));
    QueryResult r =
        e.reader()
            .query(
                new QueryRequest(
                    List.of(new AttrValue("org", "acme"), new AttrValue("role", "admin")),
                    0,
                    30,
                    null,
                    false));
    assertThat(r.matches()).hasSize(1);
    assertThat(r.matches().get(0).interval()).isEqualTo(Interval.of(10, 20));
    assertThat(r.matches().get(0).golden())
        .containsExactly(
            d("email", "x", 10, 20), d("org", "acme", 10, 20), d("role", "admin", 10, 20));
  }

  @Test
  void query_strongIdentifiers_returnsConflictUnlessReturnAll() {
    Engine e = engine();
    e.setOntology(ontology().key("name_key", "name").strong("ssn").build(), null);
    e.upsert(
        List.of(
            rec("crm", "1", d("name", "Ada", 0, 10), d("ssn", "A", 0, 10)),
            rec("crm", "2", d("name", "Ada", 5, 15), d("ssn", "B", 5, 15))));
    QueryRequest q = new QueryRequest(List.of(new AttrValue("name", "Ada")), 0, 20, null, false);
    QueryResult r = e.reader().query(q);
    assertThat(r.conflict()).hasSize(1);
    assertThat(r.conflict().get(0).interval()).isEqualTo(Interval.of(5, 10));
    QueryResult all = e.reader().query(new QueryRequest(q.descriptors(), 0, 20, null, true));
    assertThat(all.matches())
        .extracting(QueryResult.Match::interval)
        .containsExactly(Interval.of(0, 10), Interval.of(5, 15));
  }

  @Test
  void validation_badDescriptorInSecondRecord_storesNothing() {
    Engine e = engine();
    assertThatThrownBy(
            () ->
                e.upsert(
                    List.of(
                        rec("crm", "1", d("email", "a", 0, 10)),
                        rec("crm", "2", d("email", "b", 10, 10)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("record 1: descriptor 0: start 10 must be less than end 10");
    assertThat(e.reader().lastTx()).isZero();
    assertThat(partition(e)).isEmpty();
  }

  @Test
  void golden_twoEmails_leavesOutContestedPeriod() {
    Engine e = engine();
    e.setOntology(ontology().key("k", "id").build(), null);
    e.upsert(
        List.of(
            rec("hr", "1", d("id", "1", 0, 40), d("email", "alice@corp.example", 0, 20)),
            rec("crm", "2", d("id", "1", 0, 40), d("email", "alice@next.example", 10, 40))));
    long eid = e.reader().getRecord(id("hr", "1")).entityId();
    List<Descriptor> golden = e.reader().getEntity(eid, null).golden();
    assertThat(golden)
        .filteredOn(g -> g.attr().equals("email"))
        .containsExactly(
            d("email", "alice@corp.example", 0, 10), d("email", "alice@next.example", 20, 40));
  }
}
