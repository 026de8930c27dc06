package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.CheckpointRequest;
import io.tempora.proto.v1.ConflictItem;
import io.tempora.proto.v1.ConflictKind;
import io.tempora.proto.v1.Constraint;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.DeleteResponse;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.EntityEvent;
import io.tempora.proto.v1.EntityEventKind;
import io.tempora.proto.v1.EntityMember;
import io.tempora.proto.v1.EntityStatus;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.ExplainOutcome;
import io.tempora.proto.v1.ExplainRequest;
import io.tempora.proto.v1.ExplainResponse;
import io.tempora.proto.v1.ExportRequest;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetOntologyRequest;
import io.tempora.proto.v1.GetOntologyResponse;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.IngestStreamResponse;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.ListEntityChangesRequest;
import io.tempora.proto.v1.ListEntityChangesResponse;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryConflictEntity;
import io.tempora.proto.v1.QueryConflictInterval;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.QueryMatch;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.RecordStatus;
import io.tempora.proto.v1.RecordVersion;
import io.tempora.proto.v1.ResolutionJobState;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.SetOntologyResponse;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.ValueHolders;
import io.tempora.proto.v1.VersionKind;
import io.tempora.proto.v1.WriteItem;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each RPC of TemporaService through a real in-process gRPC server: answers and status codes. */
class TemporaGrpcServiceTest {
  private InMemoryStore store;
  private ShardServer server;
  private ManagedChannel channel;
  private TemporaServiceGrpc.TemporaServiceBlockingStub stub;

  @BeforeEach
  void start() {
    store = new InMemoryStore();
    Engine engine = new Engine(store, EngineConfig.defaults());
    String name = "service-test-" + UUID.randomUUID();
    ShardServerConfig config =
        ShardServerConfig.defaults("127.0.0.1", 0)
            .withHealthPort(-1)
            .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
    server = ShardServer.start(InProcessServerBuilder.forName(name), null, config, engine);
    channel = InProcessChannelBuilder.forName(name).build();
    stub = TemporaServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    store.close();
  }

  // ---- helpers

  private static Identity id(String perspective, String uid) {
    return Identity.newBuilder()
        .setEntityType("person")
        .setPerspective(perspective)
        .setUid(uid)
        .build();
  }

  private static Descriptor descriptor(String attr, String value, Long start, Long end) {
    Interval.Builder i = Interval.newBuilder();
    if (start != null) {
      i.setStart(start);
    }
    if (end != null) {
      i.setEnd(end);
    }
    return Descriptor.newBuilder().setAttr(attr).setValue(value).setInterval(i).build();
  }

  private static Record record(Identity id, Descriptor... ds) {
    return Record.newBuilder().setIdentity(id).addAllDescriptors(List.of(ds)).build();
  }

  private IngestResponse ingest(Record... records) {
    return stub.ingest(IngestRequest.newBuilder().addAllRecords(List.of(records)).build());
  }

  private static Ontology emailKey() {
    return Ontology.newBuilder()
        .addIdentityKeys(IdentityKey.newBuilder().setName("email_key").addAttributes("email"))
        .build();
  }

  private void setEmailKey() {
    stub.setOntology(SetOntologyRequest.newBuilder().setOntology(emailKey()).build());
  }

  private static void assertStatus(ThrowingCallable call, Status.Code code, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              if (message != null) {
                assertThat(e.getStatus().getDescription()).isEqualTo(message);
              }
            });
  }

  /** Two records of one entity (email_key) holding two names at once: one DIRECT conflict. */
  private IngestResponse twoNamesOneEntity() {
    setEmailKey();
    return ingest(
        record(
            id("crm", "1"),
            descriptor("email", "a@x", 0L, 10L),
            descriptor("name", "Ann", 0L, 10L)),
        record(
            id("hr", "2"),
            descriptor("email", "a@x", 0L, 10L),
            descriptor("name", "Anna", 5L, 10L)));
  }

  // ---- ontology

  @Test
  void setOntology_newContent_returnsNextVersionAndGetOntologyShowsIt() {
    SetOntologyResponse set =
        stub.setOntology(SetOntologyRequest.newBuilder().setOntology(emailKey()).build());
    GetOntologyResponse got = stub.getOntology(GetOntologyRequest.getDefaultInstance());

    assertThat(set.getVersion()).isEqualTo(1);
    assertThat(set.getTx()).isZero();
    assertThat(got.getOntologyVersion()).isEqualTo(1);
    assertThat(got.getOntology()).isEqualTo(emailKey());
    assertThat(got.getJob().getState()).isEqualTo(ResolutionJobState.RESOLUTION_JOB_STATE_DONE);
  }

  @Test
  void setOntology_wrongExpectedVersion_isFailedPrecondition() {
    setEmailKey();
    assertStatus(
        () ->
            stub.setOntology(
                SetOntologyRequest.newBuilder()
                    .setOntology(Ontology.getDefaultInstance())
                    .setExpectedVersion(5)
                    .build()),
        Status.Code.FAILED_PRECONDITION,
        "ontology version is 1, expected 5");
  }

  @Test
  void setOntology_constraintKindUnset_isInvalidArgumentNamingTheField() {
    Ontology bad =
        Ontology.newBuilder()
            .addConstraints(Constraint.newBuilder().setName("u").setAttribute("email"))
            .build();
    assertStatus(
        () -> stub.setOntology(SetOntologyRequest.newBuilder().setOntology(bad).build()),
        Status.Code.INVALID_ARGUMENT,
        "ontology: constraints[0]: kind must be UNIQUE or UNIQUE_WITHIN_PERSPECTIVE");
  }

  // ---- writes

  @Test
  void ingest_newRecords_areCreatedWithIdsTxAndEntities() {
    IngestResponse r = twoNamesOneEntity();

    assertThat(r.getTx()).isEqualTo(1);
    assertThat(r.getItemsList())
        .extracting(WriteItem::getIndex, WriteItem::getOutcome, WriteItem::getRecordId)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(0, Outcome.OUTCOME_CREATED, 1L),
            org.assertj.core.groups.Tuple.tuple(1, Outcome.OUTCOME_CREATED, 2L));
    assertThat(r.getItems(0).getEntityId()).isEqualTo(r.getItems(1).getEntityId()).isEqualTo(1);
    assertThat(r.getEventsList())
        .extracting(EntityEvent::getKind)
        .containsExactly(EntityEventKind.ENTITY_EVENT_KIND_CREATED);
  }

  @Test
  void ingest_sameRecordAgain_isUnchangedWithoutTx() {
    Record r = record(id("crm", "1"), descriptor("email", "a@x", null, null));
    ingest(r);

    IngestResponse again = ingest(r);

    assertThat(again.getTx()).isZero();
    assertThat(again.getItems(0).getOutcome()).isEqualTo(Outcome.OUTCOME_UNCHANGED);
    assertThat(again.getItems(0).getTx()).isEqualTo(1);
  }

  @Test
  void ingest_emptyInterval_isInvalidArgumentWithDomainMessageAndStoresNothing() {
    assertStatus(
        () ->
            ingest(
                record(id("crm", "1"), descriptor("email", "a", 0L, 10L)),
                record(id("crm", "2"), descriptor("email", "b", 10L, 10L))),
        Status.Code.INVALID_ARGUMENT,
        "record 1: descriptor 0: start 10 must be less than end 10");
    assertStatus(
        () -> stub.getRecord(GetRecordRequest.newBuilder().setIdentity(id("crm", "1")).build()),
        Status.Code.NOT_FOUND,
        null);
  }

  @Test
  void ingest_missingIdentity_isInvalidArgumentNamingTheField() {
    Record noIdentity =
        Record.newBuilder().addDescriptors(descriptor("a", "b", null, null)).build();
    assertStatus(
        () -> ingest(noIdentity), Status.Code.INVALID_ARGUMENT, "record 0: identity must be set");
  }

  @Test
  void ingest_emptyUid_isInvalidArgumentWithDomainMessage() {
    assertStatus(
        () -> ingest(record(id("crm", ""), descriptor("a", "b", null, null))),
        Status.Code.INVALID_ARGUMENT,
        "record 0: uid must not be empty");
  }

  @Test
  void ingestStream_threeRequests_answersOneSummary() throws Exception {
    CompletableFuture<IngestStreamResponse> done = new CompletableFuture<>();
    StreamObserver<IngestRequest> requests =
        TemporaServiceGrpc.newStub(channel).ingestStream(observer(done));
    for (int i = 0; i < 3; i++) {
      requests.onNext(
          IngestRequest.newBuilder()
              .addRecords(record(id("crm", "u" + i), descriptor("email", "e" + i, 0L, 10L)))
              .build());
    }
    requests.onNext(
        IngestRequest.newBuilder()
            .addRecords(record(id("crm", "u0"), descriptor("email", "e0", 0L, 10L)))
            .build());
    requests.onCompleted();

    IngestStreamResponse summary = done.get(10, TimeUnit.SECONDS);
    assertThat(summary.getRequests()).isEqualTo(4);
    assertThat(summary.getRecords()).isEqualTo(4);
    assertThat(summary.getCreated()).isEqualTo(3);
    assertThat(summary.getUnchanged()).isEqualTo(1);
    assertThat(summary.getLastTx()).isEqualTo(3);
  }

  @Test
  void ingestStream_invalidSecondRequest_failsNamingItAndKeepsTheFirst() {
    CompletableFuture<IngestStreamResponse> done = new CompletableFuture<>();
    StreamObserver<IngestRequest> requests =
        TemporaServiceGrpc.newStub(channel).ingestStream(observer(done));
    requests.onNext(
        IngestRequest.newBuilder()
            .addRecords(record(id("crm", "1"), descriptor("email", "a", null, null)))
            .build());
    requests.onNext(
        IngestRequest.newBuilder()
            .addRecords(record(id("crm", "2"), descriptor("email", "", null, null)))
            .build());
    requests.onCompleted();

    assertThatThrownBy(() -> done.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("request 1: record 0: descriptor 0: value must not be empty");
            });
    GetRecordResponse first =
        stub.getRecord(GetRecordRequest.newBuilder().setIdentity(id("crm", "1")).build());
    assertThat(first.getStatus()).isEqualTo(RecordStatus.RECORD_STATUS_LIVE);
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        done.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(null);
      }
    };
  }

  @Test
  void delete_liveAndUnknownIdentities_areDeletedAndNotFound() {
    ingest(record(id("crm", "1"), descriptor("email", "a", null, null)));

    DeleteResponse r =
        stub.delete(
            DeleteRequest.newBuilder()
                .addIdentities(id("crm", "1"))
                .addIdentities(id("crm", "9"))
                .build());

    assertThat(r.getTx()).isEqualTo(2);
    assertThat(r.getItemsList())
        .extracting(WriteItem::getOutcome)
        .containsExactly(Outcome.OUTCOME_DELETED, Outcome.OUTCOME_NOT_FOUND);
    assertThat(r.getItems(0).getVersion()).isEqualTo(2);
    assertThat(r.getItems(0).getEntityId()).isZero();
    assertThat(r.getItems(1).getRecordId()).isZero();
  }

  @Test
  void delete_duplicateIdentity_isInvalidArgumentWithDomainMessage() {
    assertStatus(
        () ->
            stub.delete(
                DeleteRequest.newBuilder()
                    .addIdentities(id("crm", "1"))
                    .addIdentities(id("crm", "1"))
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "identity 1: duplicates identity 0");
  }

  // ---- reads

  @Test
  void queryEntities_matchingDescriptor_returnsMatchWithGoldenAndUnboundedSidesUnset() {
    ingest(record(id("crm", "1"), descriptor("email", "a@x", 5L, null)));

    QueryEntitiesResponse r =
        stub.queryEntities(
            QueryEntitiesRequest.newBuilder()
                .addDescriptors(AttrValue.newBuilder().setAttr("email").setValue("a@x"))
                .build());

    assertThat(r.hasMatches()).isTrue();
    QueryMatch m = r.getMatches().getMatches(0);
    assertThat(m.getEntityId()).isEqualTo(1);
    assertThat(m.getInterval().getStart()).isEqualTo(5);
    assertThat(m.getInterval().hasEnd()).isFalse();
    assertThat(m.getGolden(0).getValue()).isEqualTo("a@x");
  }

  @Test
  void queryEntities_twoEntitiesAtOnce_returnsQueryConflict() {
    ingest(
        record(id("crm", "1"), descriptor("name", "Ada", 0L, 10L)),
        record(id("crm", "2"), descriptor("name", "Ada", 5L, 15L)));

    QueryEntitiesResponse r =
        stub.queryEntities(
            QueryEntitiesRequest.newBuilder()
                .addDescriptors(AttrValue.newBuilder().setAttr("name").setValue("Ada"))
                .build());

    assertThat(r.hasConflict()).isTrue();
    QueryConflictInterval ci = r.getConflict().getIntervals(0);
    assertThat(ci.getInterval()).isEqualTo(Interval.newBuilder().setStart(5).setEnd(10).build());
    assertThat(ci.getEntitiesList()).extracting(QueryConflictEntity::getEntityId).contains(1L, 2L);
  }

  @Test
  void queryEntities_noDescriptors_isInvalidArgumentWithDomainMessage() {
    assertStatus(
        () -> stub.queryEntities(QueryEntitiesRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "descriptors must not be empty");
  }

  @Test
  void queryEntities_asOfTx_isUnimplemented() {
    assertStatus(
        () ->
            stub.queryEntities(
                QueryEntitiesRequest.newBuilder()
                    .addDescriptors(AttrValue.newBuilder().setAttr("a").setValue("b"))
                    .setAsOfTx(1)
                    .build()),
        Status.Code.UNIMPLEMENTED,
        null);
  }

  @Test
  void getEntity_activeEntity_returnsMembersGoldenAndConflicts() {
    twoNamesOneEntity();

    GetEntityResponse e = stub.getEntity(GetEntityRequest.newBuilder().setEntityId(1).build());

    assertThat(e.getStatus()).isEqualTo(EntityStatus.ENTITY_STATUS_ACTIVE);
    assertThat(e.getEntityType()).isEqualTo("person");
    assertThat(e.getMembersList())
        .extracting(EntityMember::getIdentity)
        .containsExactly(id("crm", "1"), id("hr", "2"));
    assertThat(e.getGoldenList()).extracting(Descriptor::getValue).contains("a@x", "Ann");
    assertThat(e.getConflicts(0).getKind()).isEqualTo(ConflictKind.CONFLICT_KIND_DIRECT);
    assertThat(e.getConflicts(0).getDirect().getEntityId()).isEqualTo(1);
  }

  @Test
  void getEntity_neverIssued_isNotFound() {
    assertStatus(
        () -> stub.getEntity(GetEntityRequest.newBuilder().setEntityId(42).build()),
        Status.Code.NOT_FOUND,
        null);
  }

  @Test
  void getEntity_emptyWindow_isInvalidArgument() {
    ingest(record(id("crm", "1"), descriptor("email", "a", null, null)));
    assertStatus(
        () ->
            stub.getEntity(
                GetEntityRequest.newBuilder()
                    .setEntityId(1)
                    .setWindow(Interval.newBuilder().setStart(5).setEnd(5))
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "window: start 5 must be less than end 5");
  }

  @Test
  void getEntity_asOfTx_isUnimplemented() {
    assertStatus(
        () -> stub.getEntity(GetEntityRequest.newBuilder().setEntityId(1).setAsOfTx(3).build()),
        Status.Code.UNIMPLEMENTED,
        "as_of_tx: reads as of a past transaction are not implemented");
  }

  @Test
  void getRecord_afterUpdate_returnsDescriptorsAndHistory() {
    ingest(
        record(
            id("crm", "1"), descriptor("email", "a", 0L, 4L), descriptor("email", "a", 4L, 10L)));
    ingest(record(id("crm", "1"), descriptor("email", "b", 0L, 10L)));

    GetRecordResponse r =
        stub.getRecord(GetRecordRequest.newBuilder().setIdentity(id("crm", "1")).build());

    assertThat(r.getRecordId()).isEqualTo(1);
    assertThat(r.getVersion()).isEqualTo(2);
    assertThat(r.getDescriptorsList()).containsExactly(descriptor("email", "b", 0L, 10L));
    assertThat(r.getHistoryList())
        .extracting(RecordVersion::getKind)
        .containsExactly(VersionKind.VERSION_KIND_CREATED, VersionKind.VERSION_KIND_UPDATED);
    assertThat(r.getHistory(0).getDescriptorsList())
        .containsExactly(descriptor("email", "a", 0L, 10L));
  }

  @Test
  void getRecord_unknown_isNotFound() {
    assertStatus(
        () -> stub.getRecord(GetRecordRequest.newBuilder().setIdentity(id("crm", "x")).build()),
        Status.Code.NOT_FOUND,
        null);
  }

  @Test
  void getRecord_missingIdentity_isInvalidArgumentNamingTheField() {
    assertStatus(
        () -> stub.getRecord(GetRecordRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "identity must be set");
  }

  @Test
  void getRecord_asOfTx_isUnimplemented() {
    assertStatus(
        () ->
            stub.getRecord(
                GetRecordRequest.newBuilder().setIdentity(id("crm", "1")).setAsOfTx(1).build()),
        Status.Code.UNIMPLEMENTED,
        null);
  }

  @Test
  void explain_linkedRecords_isSameEntityWithPath() {
    twoNamesOneEntity();

    ExplainResponse x =
        stub.explain(ExplainRequest.newBuilder().setA(id("crm", "1")).setB(id("hr", "2")).build());

    assertThat(x.getOutcome()).isEqualTo(ExplainOutcome.EXPLAIN_OUTCOME_SAME_ENTITY);
    assertThat(x.getPathList()).containsExactly(id("crm", "1"), id("hr", "2"));
    assertThat(x.getSteps(0).getKey()).isEqualTo("email_key");
    assertThat(x.getSteps(0).getTupleList()).containsExactly("a@x");
    assertThat(x.getOntologyVersion()).isEqualTo(1);
  }

  @Test
  void explain_missingB_isInvalidArgumentNamingTheField() {
    assertStatus(
        () -> stub.explain(ExplainRequest.newBuilder().setA(id("crm", "1")).build()),
        Status.Code.INVALID_ARGUMENT,
        "b must be set");
  }

  @Test
  void explain_unknownRecord_isNotFound() {
    assertStatus(
        () ->
            stub.explain(
                ExplainRequest.newBuilder().setA(id("crm", "1")).setB(id("crm", "2")).build()),
        Status.Code.NOT_FOUND,
        null);
  }

  @Test
  void listConflicts_directConflict_isListedWithHolders() {
    twoNamesOneEntity();

    ListConflictsResponse r = stub.listConflicts(ListConflictsRequest.getDefaultInstance());

    assertThat(r.getItemsCount()).isEqualTo(1);
    ConflictItem item = r.getItems(0);
    assertThat(item.getAttribute()).isEqualTo("name");
    assertThat(item.getInterval()).isEqualTo(Interval.newBuilder().setStart(5).setEnd(10).build());
    assertThat(item.getDirect().getValuesList())
        .extracting(ValueHolders::getValue)
        .containsExactly("Ann", "Anna");
    assertThat(r.getNextPageToken()).isEmpty();
    assertThat(r.getOntologyVersion()).isEqualTo(1);
  }

  @Test
  void listConflicts_pageSizeAboveLimit_isInvalidArgument() {
    assertStatus(
        () -> stub.listConflicts(ListConflictsRequest.newBuilder().setPageSize(1001).build()),
        Status.Code.INVALID_ARGUMENT,
        "page_size: 1001 must be between 0 and 1000");
  }

  @Test
  void listConflicts_unsetKind_isInvalidArgumentNamingTheField() {
    ListConflictsRequest req =
        ListConflictsRequest.newBuilder()
            .setFilter(
                io.tempora.proto.v1.ConflictFilter.newBuilder()
                    .addKinds(ConflictKind.CONFLICT_KIND_UNSPECIFIED))
            .build();
    assertStatus(
        () -> stub.listConflicts(req),
        Status.Code.INVALID_ARGUMENT,
        "filter: kinds[0] must be DIRECT, BLOCKED_MERGE or CONSTRAINT");
  }

  @Test
  void listConflicts_asOfTx_isUnimplemented() {
    assertStatus(
        () -> stub.listConflicts(ListConflictsRequest.newBuilder().setAsOfTx(1).build()),
        Status.Code.UNIMPLEMENTED,
        null);
  }

  @Test
  void listEntities_threeEntities_pagesInIdOrder() {
    for (int i = 0; i < 3; i++) {
      ingest(record(id("crm", "u" + i), descriptor("email", "e" + i, null, null)));
    }

    ListEntitiesResponse first =
        stub.listEntities(ListEntitiesRequest.newBuilder().setPageSize(2).build());
    ListEntitiesResponse second =
        stub.listEntities(
            ListEntitiesRequest.newBuilder()
                .setPageSize(2)
                .setAfterId(first.getNextAfterId())
                .build());

    assertThat(first.getEntitiesList())
        .extracting(EntitySummary::getEntityId)
        .containsExactly(1L, 2L);
    assertThat(second.getEntitiesList()).extracting(EntitySummary::getEntityId).containsExactly(3L);
    assertThat(second.getNextAfterId()).isZero();
  }

  @Test
  void listEntityChanges_pages_endOnTransactionBoundaries() {
    for (int i = 0; i < 3; i++) {
      ingest(record(id("crm", "u" + i), descriptor("email", "e" + i, null, null)));
    }

    ListEntityChangesResponse page =
        stub.listEntityChanges(
            ListEntityChangesRequest.newBuilder().setFromTx(2).setPageSize(1).build());

    assertThat(page.getEventsList()).extracting(EntityEvent::getTx).containsExactly(2L);
    assertThat(page.getNextFromTx()).isEqualTo(3);
    assertThat(page.getHasMore()).isTrue();
    assertThat(page.getLastTx()).isEqualTo(3);
  }

  @Test
  void listEntityChanges_transactionLargerThanPage_isSplitAndResumedByIndex() {
    ingest(
        record(id("crm", "a"), descriptor("email", "a", null, null)),
        record(id("crm", "b"), descriptor("email", "b", null, null)),
        record(id("crm", "c"), descriptor("email", "c", null, null)),
        record(id("crm", "d"), descriptor("email", "d", null, null)),
        record(id("crm", "e"), descriptor("email", "e", null, null)));
    ingest(record(id("crm", "f"), descriptor("email", "f", null, null)));
    List<EntityEvent> whole =
        stub.listEntityChanges(ListEntityChangesRequest.newBuilder().setFromTx(1).build())
            .getEventsList();
    assertThat(whole).extracting(EntityEvent::getTx).containsExactly(1L, 1L, 1L, 1L, 1L, 2L);

    List<ListEntityChangesResponse> pages = new ArrayList<>();
    long from = 1;
    long index = 0;
    ListEntityChangesResponse page;
    do {
      page =
          stub.listEntityChanges(
              ListEntityChangesRequest.newBuilder()
                  .setFromTx(from)
                  .setFromIndex(index)
                  .setPageSize(2)
                  .build());
      pages.add(page);
      from = page.getNextFromTx();
      index = page.getNextFromIndex();
    } while (page.getHasMore());

    assertThat(pages)
        .extracting(
            ListEntityChangesResponse::getNextFromTx, ListEntityChangesResponse::getNextFromIndex)
        .containsExactly(tuple(1L, 2L), tuple(1L, 4L), tuple(3L, 0L));
    assertThat(pages.stream().flatMap(p -> p.getEventsList().stream()).toList())
        .containsExactlyElementsOf(whole);
  }

  @Test
  void listEntityChanges_indexPastTheTransaction_startsAtTheNextOne() {
    ingest(
        record(id("crm", "a"), descriptor("email", "a", null, null)),
        record(id("crm", "b"), descriptor("email", "b", null, null)));
    ingest(record(id("crm", "c"), descriptor("email", "c", null, null)));

    ListEntityChangesResponse page =
        stub.listEntityChanges(
            ListEntityChangesRequest.newBuilder().setFromTx(1).setFromIndex(7).build());

    assertThat(page.getEventsList()).extracting(EntityEvent::getTx).containsExactly(2L);
    assertThat(page.getNextFromTx()).isEqualTo(3);
    assertThat(page.getNextFromIndex()).isZero();
    assertThat(page.getHasMore()).isFalse();
  }

  @Test
  void listEntityChanges_fromIndexAboveInt64_isInvalidArgument() {
    assertStatus(
        () ->
            stub.listEntityChanges(
                ListEntityChangesRequest.newBuilder().setFromTx(1).setFromIndex(-1L).build()),
        Status.Code.INVALID_ARGUMENT,
        "from_index: 18446744073709551615 must be at most 9223372036854775807");
  }

  @Test
  void getStats_afterIngest_countsRecordsEntitiesAndConflicts() {
    twoNamesOneEntity();

    GetStatsResponse s = stub.getStats(GetStatsRequest.getDefaultInstance());

    assertThat(s.getRecords()).isEqualTo(2);
    assertThat(s.getEntities()).isEqualTo(1);
    assertThat(s.getConflicts()).isEqualTo(1);
    assertThat(s.getLastTx()).isEqualTo(1);
    assertThat(s.getOntologyVersion()).isEqualTo(1);
  }

  @Test
  void checkpointOnInMemoryStoreAndExport_areUnimplemented() {
    assertStatus(
        () -> stub.checkpoint(CheckpointRequest.getDefaultInstance()),
        Status.Code.UNIMPLEMENTED,
        null);
    assertStatus(
        () -> stub.export(ExportRequest.getDefaultInstance()), Status.Code.UNIMPLEMENTED, null);
  }
}
