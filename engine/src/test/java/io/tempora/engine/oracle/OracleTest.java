package io.tempora.engine.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.EntityHolders;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.IgnoredValues;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import io.tempora.engine.oracle.Rules.Tuple;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.query.QueryResult.ConflictEntity;
import io.tempora.engine.query.QueryResult.ConflictInterval;
import io.tempora.engine.query.QueryResult.DescriptorHolders;
import io.tempora.engine.query.QueryResult.Match;
import io.tempora.engine.temporal.Interval;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The oracle on every worked example of DOMAIN.md. One file on purpose: it follows the document
 * section by section, so a reader can check each fixture against its paragraph.
 */
class OracleTest {
  private static final long NEG = Long.MIN_VALUE;
  private static final long POS = Long.MAX_VALUE;

  // §0 byte order

  @Test
  void byteOrder_ff61BeforeEmoji_unlikeUtf16() {
    String halfwidth = "\uFF61";
    String emoji = "\uD83D\uDE00";
    assertThat(Utf8Order.STRINGS.compare(halfwidth, emoji)).isNegative();
    assertThat(halfwidth.compareTo(emoji)).isPositive();
    assertThat(Utf8Order.STRINGS.compare("a", "ab")).isNegative();
  }

  @Test
  void partition_uidsAboveBmp_orderedByUtf8Bytes() {
    OracleState s =
        Oracle.compute(
            Ontology.EMPTY,
            List.of(
                rec("crm", "\uD83D\uDE00", d("x", "1", 0, 1)),
                rec("crm", "\uFF61", d("x", "1", 0, 1))));
    assertThat(s.partition())
        .containsExactly(List.of(id("crm", "\uFF61")), List.of(id("crm", "\uD83D\uDE00")));
  }

  // §2.3 normal form

  @Test
  void normalForm_overlappingAndTouching_coalesce() {
    OracleState s =
        Oracle.compute(
            Ontology.EMPTY,
            List.of(
                rec(
                    "crm",
                    "1",
                    d("phone", "p", 0, 5),
                    d("email", "a", 0, 4),
                    d("email", "a", 4, 10),
                    d("email", "a", 2, 3))));
    assertThat(s.normalForm(id("crm", "1")))
        .containsExactly(d("email", "a", 0, 10), d("phone", "p", 0, 5));
  }

  // §4

  @Test
  void tuples_section4Example_matchSpec() {
    Ontology o = ontology(List.of(key("name_country", "name", "country")), List.of());
    OracleRecord hr1 = OracleRecord.of(section4().get(0));
    assertThat(Rules.tuples(o, hr1))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                new Tuple("name_country", List.of("CH01", "CH")), List.of(iv(0, 50)),
                new Tuple("name_country", List.of("CH02", "CH")), List.of(iv(50, 100)),
                new Tuple("name_country", List.of("CH02", "LI")), List.of(iv(80, 100))));
    OracleRecord web4 = OracleRecord.of(section4().get(3));
    assertThat(Rules.tuples(o, web4))
        .containsExactlyEntriesOf(
            Map.of(
                new Tuple("name_country", List.of("CH01", "CH")), List.of(iv(5, 10), iv(20, 30))));
  }

  @Test
  void partition_section4Example_crm3LinksToNothing() {
    Ontology o = ontology(List.of(key("name_country", "name", "country")), List.of());
    OracleState s = Oracle.compute(o, section4());
    assertThat(s.partition())
        .containsExactly(
            List.of(id("crm", "2"), id("hr", "1"), id("web", "4")), List.of(id("crm", "3")));
    LinkGraph g = s.graph();
    assertThat(g.links(g.record(id("crm", "2")), g.record(id("hr", "1"))))
        .extracting(LinkGraph.Link::piece)
        .containsExactly(iv(90, 95));
  }

  private static List<RecordInput> section4() {
    return List.of(
        rec(
            "hr",
            "1",
            d("name", "CH01", 0, 50),
            d("name", "CH02", 50, 100),
            d("country", "CH", 0, 100),
            d("country", "LI", 80, 120)),
        rec("crm", "2", d("name", "CH02", 90, 95), d("country", "LI", 90, 95)),
        rec("crm", "3", d("name", "CH01", 0, 50)),
        rec(
            "web",
            "4",
            d("name", "CH01", 0, 10),
            d("name", "CH01", 20, 60),
            d("country", "CH", 5, 30)));
  }

  // §5.4

  @Test
  void partition_blockedMerge_keepsCrm2Apart() {
    OracleState s = Oracle.compute(section54aOntology(), section54a());
    assertThat(s.partition())
        .containsExactly(List.of(id("crm", "1"), id("hr", "3")), List.of(id("crm", "2")));
  }

  @Test
  void partition_blockedMerge_sameWhateverInputOrder() {
    List<RecordInput> reversed = new ArrayList<>(section54a());
    java.util.Collections.reverse(reversed);
    assertThat(Oracle.compute(section54aOntology(), reversed).partition())
        .isEqualTo(Oracle.compute(section54aOntology(), section54a()).partition());
  }

  @Test
  void partition_adjacentNameChange_doesNotLink() {
    OracleState s = Oracle.compute(nameCountry(), section54b(false));
    assertThat(s.partition())
        .containsExactly(List.of(id("crm", "7")), List.of(id("crm", "8"), id("hr", "1")));
    assertThat(Oracle.compute(nameCountry(), section54b(true)).partition())
        .isEqualTo(s.partition());
  }

  @Test
  void partition_chainThroughTwoKeys_isOneEntity() {
    OracleState s = Oracle.compute(section54cOntology(), section54c());
    assertThat(s.partition())
        .containsExactly(List.of(id("crm", "a"), id("erp", "b"), id("hr", "c")));
  }

  @Test
  void partition_chainWithoutMiddle_splitsAndReupsertRestores() {
    List<RecordInput> c = section54c();
    List<Op> ops = new ArrayList<>();
    ops.add(new Op.Upsert(c));
    ops.add(new Op.Delete(List.of(id("erp", "b"))));
    OracleState d = Oracle.compute(section54cOntology(), WorkloadGenerator.liveRecords(ops));
    assertThat(d.partition()).containsExactly(List.of(id("crm", "a")), List.of(id("hr", "c")));
    ops.add(new Op.Upsert(List.of(c.get(1))));
    OracleState again = Oracle.compute(section54cOntology(), WorkloadGenerator.liveRecords(ops));
    assertThat(again.partition())
        .containsExactly(List.of(id("crm", "a"), id("erp", "b"), id("hr", "c")));
  }

  private static Ontology section54aOntology() {
    return ontology(
        List.of(key("name_country", "name", "country")), List.of("phone", "employee_id"));
  }

  private static List<RecordInput> section54a() {
    long s = 86400;
    long e = 432000;
    return List.of(
        rec(
            "crm",
            "1",
            d("name", "John Doe", s, e),
            d("country", "US", s, e),
            d("phone", "555-1111", s, e)),
        rec(
            "crm",
            "2",
            d("name", "John Doe", s, e),
            d("country", "US", s, e),
            d("phone", "555-2222", s, e)),
        rec(
            "hr",
            "3",
            d("name", "John Doe", s, e),
            d("country", "US", s, e),
            d("employee_id", "EMP001", s, e)));
  }

  private static List<RecordInput> section54b(boolean crm7Split) {
    RecordInput crm7 =
        crm7Split
            ? rec(
                "crm",
                "7",
                d("name", "Ann Lee", 100, 120),
                d("name", "Ann Lee", 120, 150),
                d("country", "US", 100, 150))
            : rec("crm", "7", d("name", "Ann Lee", 100, 150), d("country", "US", 100, 150));
    return List.of(
        rec(
            "hr",
            "1",
            d("name", "Ann Lee", 0, 100),
            d("name", "Ann Kim", 100, 200),
            d("country", "US", 0, 200)),
        crm7,
        rec("crm", "8", d("name", "Ann Kim", 150, 300), d("country", "US", 150, 300)));
  }

  private static Ontology section54cOntology() {
    return ontology(List.of(key("email_key", "email"), key("ssn_key", "ssn")), List.of());
  }

  private static List<RecordInput> section54c() {
    return List.of(
        rec("crm", "a", d("email", "a@x", 0, 100)),
        rec("erp", "b", d("email", "a@x", 50, 150), d("ssn", "111", 50, 150)),
        rec("hr", "c", d("ssn", "111", 120, 200)));
  }

  // §7.1

  @Test
  void direct_titleSplitAcrossMembers_mergesToOneItem() {
    Ontology o = ontology(List.of(key("pid_key", "pid")), List.of());
    OracleState s =
        Oracle.compute(
            o,
            List.of(
                rec("hr", "1", d("title", "Dev", 0, 10), d("pid", "7", 0, 10)),
                rec("crm", "2", d("title", "Eng", 0, 5), d("pid", "7", 0, 10)),
                rec("web", "3", d("title", "Eng", 5, 10), d("pid", "7", 0, 10))));
    assertThat(s.partition()).hasSize(1);
    assertThat(s.conflicts())
        .containsExactly(
            new Direct(
                "person",
                "title",
                iv(0, 10),
                1,
                List.of(
                    new ValueHolders("Dev", List.of(id("hr", "1"))),
                    new ValueHolders("Eng", List.of(id("crm", "2"), id("web", "3"))))));
  }

  @Test
  void direct_oneRecordTwoValues_reportedLikeTwoMembers() {
    OracleState s =
        Oracle.compute(
            Ontology.EMPTY, List.of(rec("crm", "4", d("ssn", "A", 0, 10), d("ssn", "B", 5, 10))));
    assertThat(s.conflicts())
        .containsExactly(
            new Direct(
                "person",
                "ssn",
                iv(5, 10),
                1,
                List.of(
                    new ValueHolders("A", List.of(id("crm", "4"))),
                    new ValueHolders("B", List.of(id("crm", "4"))))));
  }

  @Test
  void direct_companyNameChange_yieldsExactlyFiveItems() {
    OracleState s = Oracle.compute(companyOntology(), companyRecords());
    Identity hr = Identity.of("company", "hr_system", "1");
    Identity crm = Identity.of("company", "crm_system", "2");
    assertThat(s.partition()).containsExactly(List.of(crm, hr));
    assertThat(s.conflicts())
        .containsExactly(
            companyItem(851990400, 946684800, vh("GB0000653229", hr), vh("INVESTINMEDIA", hr)),
            companyItem(
                946684800,
                1022889600,
                vh("AVESCO", crm),
                vh("GB0000653229", crm, hr),
                vh("INVESTINMEDIA", hr)),
            companyItem(1022889600, 1179705600, vh("GB0000653229", hr), vh("INVESTINMEDIA", hr)),
            companyItem(1179705600, 1241136000, vh("AVESCO GROUP", hr), vh("GB0000653229", hr)),
            companyItem(
                1241136000, 1482451200, vh("AVESCO GROUP PLC", hr), vh("GB0000653229", hr)));
  }

  private static Direct companyItem(long s, long e, ValueHolders... values) {
    return new Direct("company", "name", iv(s, e), 1, List.of(values));
  }

  private static Ontology companyOntology() {
    return ontology(List.of(key("name_country", "name", "country")), List.of());
  }

  private static List<RecordInput> companyRecords() {
    return List.of(
        new RecordInput(
            Identity.of("company", "hr_system", "1"),
            List.of(
                d("name", "GB0000653229", 851990400, 1482451200),
                d("name", "INVESTINMEDIA", 851990400, 1179705600),
                d("name", "AVESCO GROUP", 1179705600, 1241136000),
                d("name", "AVESCO GROUP PLC", 1241136000, 1482451200),
                d("country", "GB", 851990400, 1482451200))),
        new RecordInput(
            Identity.of("company", "crm_system", "2"),
            List.of(
                d("name", "GB0000653229", 946684800, 1022889600),
                d("name", "AVESCO", 946684800, 1022889600),
                d("country", "GB", 946684800, 1022889600))));
  }

  // §7.2

  @Test
  void blockedMerge_phoneConflict_oneItemWithMinimalEvidence() {
    OracleState s = Oracle.compute(section54aOntology(), section54a());
    assertThat(s.conflicts())
        .containsExactly(
            new BlockedMerge(
                "person",
                "phone",
                iv(86400, 432000),
                1,
                2,
                List.of(id("crm", "1"), id("crm", "2")),
                "name_country",
                List.of("John Doe", "US"),
                iv(86400, 432000),
                "crm",
                "555-1111",
                "555-2222",
                List.of(id("crm", "1"), id("crm", "2"))));
  }

  @Test
  void blockedMerge_conflictOutsideLinkTime_reportsBothIntervals() {
    Ontology o = ontology(List.of(key("email_key", "email")), List.of("ssn"));
    OracleState s =
        Oracle.compute(
            o,
            List.of(
                rec("crm", "1", d("email", "e", 0, 10), d("ssn", "A", 50, 60)),
                rec("crm", "2", d("email", "e", 5, 15), d("ssn", "B", 55, 58))));
    assertThat(s.partition()).containsExactly(List.of(id("crm", "1")), List.of(id("crm", "2")));
    assertThat(s.conflicts())
        .containsExactly(
            new BlockedMerge(
                "person",
                "ssn",
                iv(55, 58),
                1,
                2,
                List.of(id("crm", "1"), id("crm", "2")),
                "email_key",
                List.of("e"),
                iv(5, 10),
                "crm",
                "A",
                "B",
                List.of(id("crm", "1"), id("crm", "2"))));
  }

  // §7.3

  @Test
  void constraint_uniqueAndWithinPerspective_threeItemsInOrder() {
    Ontology o =
        new Ontology(
            List.of(key("emp", "employee_id")),
            List.of(),
            List.of(
                new Constraint("unique_email", "email", ConstraintKind.UNIQUE, List.of()),
                new Constraint(
                    "email_per_source",
                    "email",
                    ConstraintKind.UNIQUE_WITHIN_PERSPECTIVE,
                    List.of())),
            List.of());
    OracleState s =
        Oracle.compute(
            o,
            List.of(
                rec("hr", "1", d("employee_id", "1001", 0, 100), d("email", "j@c", 0, 100)),
                rec("hr", "2", d("employee_id", "1002", 50, 150), d("email", "j@c", 50, 150)),
                rec("crm", "9", d("employee_id", "1003", 0, 200), d("email", "j@c", 120, 200))));
    assertThat(s.partition())
        .containsExactly(List.of(id("crm", "9")), List.of(id("hr", "1")), List.of(id("hr", "2")));
    EntityHolders hr1 = new EntityHolders(2, List.of(id("hr", "1")));
    EntityHolders hr2 = new EntityHolders(3, List.of(id("hr", "2")));
    EntityHolders crm9 = new EntityHolders(1, List.of(id("crm", "9")));
    assertThat(s.conflicts())
        .containsExactly(
            new ConstraintViolation(
                "person",
                "email",
                iv(50, 100),
                "email_per_source",
                ConstraintKind.UNIQUE_WITHIN_PERSPECTIVE,
                "j@c",
                "hr",
                List.of(hr1, hr2)),
            new ConstraintViolation(
                "person",
                "email",
                iv(50, 100),
                "unique_email",
                ConstraintKind.UNIQUE,
                "j@c",
                null,
                List.of(hr1, hr2)),
            new ConstraintViolation(
                "person",
                "email",
                iv(120, 150),
                "unique_email",
                ConstraintKind.UNIQUE,
                "j@c",
                null,
                List.of(crm9, hr2)));
  }

  // §8

  @Test
  void golden_overlapOfTwoEmails_leftOut() {
    Ontology o = ontology(List.of(key("pid_key", "pid")), List.of());
    OracleState s =
        Oracle.compute(
            o,
            List.of(
                rec("hr", "1", d("email", "alice@corp.example", 0, 20), d("pid", "1", 0, 40)),
                rec("crm", "2", d("email", "alice@next.example", 10, 40), d("pid", "1", 0, 40))));
    assertThat(s.golden(1, null))
        .containsExactly(
            d("email", "alice@corp.example", 0, 10),
            d("email", "alice@next.example", 20, 40),
            d("pid", "1", 0, 40));
    assertThat(s.golden(1, iv(5, 25)))
        .containsExactly(
            d("email", "alice@corp.example", 5, 10),
            d("email", "alice@next.example", 20, 25),
            d("pid", "1", 5, 25));
  }

  @Test
  void golden_nameChangeEntity_followsName() {
    OracleState s = Oracle.compute(nameCountry(), section54b(false));
    assertThat(s.golden(2, null))
        .containsExactly(
            d("country", "US", 0, 300),
            d("name", "Ann Lee", 0, 100),
            d("name", "Ann Kim", 100, 300));
  }

  @Test
  void golden_companyNameAlwaysContested_onlyCountry() {
    OracleState s = Oracle.compute(companyOntology(), companyRecords());
    assertThat(s.golden(1, null)).containsExactly(d("country", "GB", 851990400, 1482451200));
  }

  @Test
  void golden_unboundedSides_clipWithoutOverflow() {
    OracleState s = Oracle.compute(Ontology.EMPTY, List.of(rec("crm", "1", d("x", "a", NEG, POS))));
    assertThat(s.golden(1, null)).containsExactly(d("x", "a", NEG, POS));
    assertThat(s.golden(1, iv(NEG, 0))).containsExactly(d("x", "a", NEG, 0));
  }

  // §9

  @Test
  void query_accessManagement_matchesAndClipsGolden() {
    Ontology o = ontology(List.of(key("email_key", "email")), List.of());
    OracleState s =
        Oracle.compute(
            o,
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
    assertThat(s.partition()).hasSize(1);
    List<AttrValue> acmeAdmin =
        List.of(new AttrValue("org", "acme"), new AttrValue("role", "admin"));
    assertThat(s.query(query(acmeAdmin, 0, 30, false)))
        .isEqualTo(matches(new Match(1, iv(10, 20), golden3("admin", 10, 20))));
    assertThat(s.query(query(List.of(new AttrValue("role", "viewer")), 0, 30, false)))
        .isEqualTo(matches(new Match(1, iv(20, 30), golden3("viewer", 20, 30))));
    assertThat(s.query(query(acmeAdmin, 15, 30, false)))
        .isEqualTo(matches(new Match(1, iv(15, 20), golden3("admin", 15, 20))));
  }

  private static List<Descriptor> golden3(String role, long s, long e) {
    return List.of(d("email", "x", s, e), d("org", "acme", s, e), d("role", role, s, e));
  }

  @Test
  void query_strongIdentifiersRespected_conflictUnlessReturnAll() {
    Ontology o = ontology(List.of(key("name_key", "name")), List.of("ssn"));
    OracleState s =
        Oracle.compute(
            o,
            List.of(
                rec("crm", "1", d("name", "Ada", 0, 10), d("ssn", "A", 0, 10)),
                rec("crm", "2", d("name", "Ada", 5, 15), d("ssn", "B", 5, 15))));
    assertThat(s.partition()).containsExactly(List.of(id("crm", "1")), List.of(id("crm", "2")));
    List<AttrValue> ada = List.of(new AttrValue("name", "Ada"));
    assertThat(s.query(query(ada, 0, 20, false)))
        .isEqualTo(
            new QueryResult(
                0,
                null,
                List.of(
                    new ConflictInterval(
                        iv(5, 10),
                        List.of(
                            new ConflictEntity(1, List.of(holders("name", "Ada", id("crm", "1")))),
                            new ConflictEntity(
                                2, List.of(holders("name", "Ada", id("crm", "2")))))))));
    assertThat(s.query(query(ada, 0, 20, true)))
        .isEqualTo(
            matches(
                new Match(1, iv(0, 10), List.of(d("name", "Ada", 0, 10), d("ssn", "A", 0, 10))),
                new Match(2, iv(5, 15), List.of(d("name", "Ada", 5, 15), d("ssn", "B", 5, 15)))));
  }

  // §11

  @Test
  void ignoredPlaceholder_noLinkButVisibleInQuery() {
    Ontology o =
        new Ontology(
            List.of(key("email_key", "email")),
            List.of(),
            List.of(),
            List.of(new IgnoredValues("email", List.of("unknown", "n/a"), List.of())));
    OracleState s =
        Oracle.compute(
            o,
            List.of(
                rec("crm", "1", d("email", "unknown", 0, 10)),
                rec("hr", "2", d("email", "unknown", 0, 10))));
    assertThat(s.partition()).containsExactly(List.of(id("crm", "1")), List.of(id("hr", "2")));
    assertThat(s.conflicts()).isEmpty();
    assertThat(s.golden(1, null)).containsExactly(d("email", "unknown", 0, 10));
    QueryResult r = s.query(query(List.of(new AttrValue("email", "unknown")), 0, 10, false));
    assertThat(r.matches()).isNull();
    assertThat(r.conflict()).extracting(ConflictInterval::interval).containsExactly(iv(0, 10));
    assertThat(r.conflict().get(0).entities())
        .extracting(ConflictEntity::entityId)
        .containsExactly(1L, 2L);
  }

  @Test
  void ignoredPlaceholder_neverStrongNorConstraint() {
    Ontology o =
        new Ontology(
            List.of(key("name_key", "name")),
            List.of(new StrongIdentifier("ssn", List.of())),
            List.of(new Constraint("u", "ssn", ConstraintKind.UNIQUE, List.of())),
            List.of(new IgnoredValues("ssn", List.of("000"), List.of())));
    OracleState s =
        Oracle.compute(
            o,
            List.of(
                rec("crm", "1", d("name", "Ada", 0, 10), d("ssn", "000", 0, 10)),
                rec("crm", "2", d("name", "Ada", 0, 10), d("ssn", "A", 0, 10)),
                rec("crm", "3", d("ssn", "000", 0, 10))));
    assertThat(s.partition())
        .containsExactly(List.of(id("crm", "1"), id("crm", "2")), List.of(id("crm", "3")));
    assertThat(s.conflicts())
        .extracting(ConflictItem::kind)
        .containsExactly(ConflictItem.Kind.DIRECT);
  }

  // helpers

  private static QueryRequest query(List<AttrValue> ds, long s, long e, boolean returnAll) {
    return new QueryRequest(ds, s, e, null, returnAll);
  }

  private static QueryResult matches(Match... ms) {
    return new QueryResult(0, List.of(ms), null);
  }

  private static DescriptorHolders holders(String attr, String value, Identity... ids) {
    return new DescriptorHolders(attr, value, List.of(ids));
  }

  private static ValueHolders vh(String value, Identity... ids) {
    return new ValueHolders(value, Arrays.asList(ids));
  }

  private static Ontology nameCountry() {
    return ontology(List.of(key("name_country", "name", "country")), List.of());
  }

  private static Ontology ontology(List<IdentityKey> keys, List<String> strong) {
    return new Ontology(
        keys,
        strong.stream().map(a -> new StrongIdentifier(a, List.of())).toList(),
        List.of(),
        List.of());
  }

  private static IdentityKey key(String name, String... attrs) {
    return new IdentityKey(name, List.of(attrs), List.of());
  }

  private static Identity id(String perspective, String uid) {
    return Identity.of("person", perspective, uid);
  }

  private static RecordInput rec(String perspective, String uid, Descriptor... ds) {
    return new RecordInput(id(perspective, uid), List.of(ds));
  }

  private static Descriptor d(String attr, String value, long s, long e) {
    return new Descriptor(attr, value, s, e);
  }

  private static Interval iv(long s, long e) {
    return new Interval(s, e);
  }
}
