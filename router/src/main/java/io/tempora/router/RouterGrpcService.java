package io.tempora.router;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.tempora.engine.write.RequestValidator;
import io.tempora.proto.v1.CheckpointRequest;
import io.tempora.proto.v1.CheckpointResponse;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.DeleteResponse;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.ExplainOutcome;
import io.tempora.proto.v1.ExplainRequest;
import io.tempora.proto.v1.ExplainResponse;
import io.tempora.proto.v1.ExportRequest;
import io.tempora.proto.v1.ExportResponse;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetOntologyRequest;
import io.tempora.proto.v1.GetOntologyResponse;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.IngestStreamResponse;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.ListEntityChangesRequest;
import io.tempora.proto.v1.ListEntityChangesResponse;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.QueryMatch;
import io.tempora.proto.v1.QueryMatches;
import io.tempora.proto.v1.RecordStatus;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.SetOntologyResponse;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.WriteItem;
import io.tempora.shardserver.grpc.RequestMapper;
import io.tempora.shardserver.grpc.Statuses;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The client-facing {@code TemporaService} of a router (DISTRIBUTED.md §3, §4 "Reads"). With one
 * shard every call is forwarded unchanged, so the router answers exactly as the shard does. With
 * several shards, writes are validated here (DOMAIN.md §2.2), grouped by the home shard of each
 * identity ({@link ShardMap#shardOf}) and sent as parallel sub-batches; reads fan out in parallel
 * and are merged (see docs/distributed.md for what is exact and what is not yet). Thread-safe.
 */
public final class RouterGrpcService extends TemporaServiceGrpc.TemporaServiceImplBase {
  private static final String TOKEN_PREFIX = "r1:";
  private static final long[] RETRY_MS = {50, 200};

  private final List<ShardClient> shards;
  private final ShardMap map;
  private final RouterConfig config;
  private final RequestValidator validator;
  private final ExecutorService fanout;

  /**
   * @param shards one client per shard, in shard id order
   * @param fanout runs the parallel shard calls; not owned
   */
  public RouterGrpcService(List<ShardClient> shards, RouterConfig config, ExecutorService fanout) {
    this.shards = List.copyOf(shards);
    this.map = new ShardMap(shards.size());
    this.config = config;
    this.validator = new RequestValidator(config.limits());
    this.fanout = fanout;
  }

  private boolean single() {
    return shards.size() == 1;
  }

  private ShardClient only() {
    return shards.get(0);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing.

  private static <T> void unary(StreamObserver<T> out, Supplier<T> body) {
    T answer;
    try {
      answer = body.get();
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e).asRuntimeException());
      return;
    }
    out.onNext(answer);
    out.onCompleted();
  }

  /** Runs one call on a shard, turning its failure into the client-facing status. */
  private static <T> T call(ShardClient shard, Function<ShardClient, T> rpc) {
    for (int attempt = 0; ; attempt++) {
      try {
        return rpc.apply(shard);
      } catch (StatusRuntimeException e) {
        // UNAVAILABLE from a shard means it did not apply the call (refused connection, starting
        // or stopping), so even a write may be retried: at most 2 more times, 50 ms then 200 ms.
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt >= RETRY_MS.length) {
          throw shard.failure(e);
        }
        shard.channel().resetConnectBackoff();
        try {
          Thread.sleep(RETRY_MS[attempt]);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw shard.failure(e);
        }
      }
    }
  }

  /**
   * Runs {@code rpc} on every shard in parallel; answers in shard order. A failure of any shard
   * fails the whole call: a definite shard error as is, otherwise UNAVAILABLE naming every shard
   * that did not answer (never a silent partial answer).
   */
  private <T> List<T> fanOut(Function<ShardClient, T> rpc) {
    if (single()) {
      return List.of(call(only(), rpc));
    }
    List<CompletableFuture<T>> futures = new ArrayList<>();
    for (ShardClient s : shards) {
      futures.add(CompletableFuture.supplyAsync(() -> call(s, rpc), fanout));
    }
    List<T> answers = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    StatusRuntimeException definite = null;
    for (CompletableFuture<T> f : futures) {
      try {
        answers.add(f.join());
      } catch (CompletionException e) {
        Status s = Statuses.toStatus(e.getCause());
        if (s.getCode() == Status.Code.UNAVAILABLE) {
          missing.add(s.getDescription());
        } else if (definite == null) {
          definite = s.asRuntimeException();
        }
      }
    }
    if (definite != null) {
      throw definite;
    }
    if (!missing.isEmpty()) {
      throw Status.UNAVAILABLE
          .withDescription("missing shards: " + String.join("; ", missing))
          .asRuntimeException();
    }
    return answers;
  }

  private Duration read() {
    return config.readDeadline();
  }

  private Duration write() {
    return config.writeDeadline();
  }

  // -------------------------------------------------------------------------------------------
  // Ontology.

  @Override
  public void setOntology(SetOntologyRequest request, StreamObserver<SetOntologyResponse> out) {
    unary(
        out,
        () -> {
          // Shard 0 decides (version check, validation); the others follow its document.
          SetOntologyResponse first = call(only(), s -> s.stub(write()).setOntology(request));
          for (ShardClient s : shards.subList(1, shards.size())) {
            call(
                s,
                c ->
                    c.stub(write())
                        .setOntology(request.toBuilder().clearExpectedVersion().build()));
          }
          return first;
        });
  }

  @Override
  public void getOntology(GetOntologyRequest request, StreamObserver<GetOntologyResponse> out) {
    unary(out, () -> call(only(), s -> s.stub(read()).getOntology(request)));
  }

  // -------------------------------------------------------------------------------------------
  // Writes.

  @Override
  public void ingest(IngestRequest request, StreamObserver<IngestResponse> out) {
    unary(out, () -> ingest(request));
  }

  private IngestResponse ingest(IngestRequest request) {
    if (single()) {
      return call(only(), s -> s.stub(write()).ingest(request));
    }
    validator.validateUpsert(RequestMapper.records(request));
    Map<Integer, List<Integer>> groups = new TreeMap<>();
    for (int i = 0; i < request.getRecordsCount(); i++) {
      groups
          .computeIfAbsent(map.shardOf(request.getRecords(i).getIdentity()), k -> new ArrayList<>())
          .add(i);
    }
    SubBatches<IngestResponse> done =
        subBatches(
            groups,
            (shard, positions) -> {
              IngestRequest.Builder b = IngestRequest.newBuilder();
              positions.forEach(p -> b.addRecords(request.getRecords(p)));
              return shard.stub(write()).ingest(b.build());
            },
            request.getRecordsCount());
    IngestResponse.Builder answer = IngestResponse.newBuilder();
    for (var e : done.answers().entrySet()) {
      List<Integer> positions = groups.get(e.getKey());
      answer.setTx(Math.max(answer.getTx(), e.getValue().getTx()));
      answer.addAllEvents(e.getValue().getEventsList());
      for (WriteItem item : e.getValue().getItemsList()) {
        done.items()[positions.get(item.getIndex())] =
            item.toBuilder().setIndex(positions.get(item.getIndex())).build();
      }
    }
    for (WriteItem item : done.items()) {
      answer.addItems(item);
    }
    return answer.build();
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(write()).delete(request));
          }
          validator.validateDelete(RequestMapper.identities(request));
          Map<Integer, List<Integer>> groups = new TreeMap<>();
          for (int i = 0; i < request.getIdentitiesCount(); i++) {
            groups
                .computeIfAbsent(map.shardOf(request.getIdentities(i)), k -> new ArrayList<>())
                .add(i);
          }
          SubBatches<DeleteResponse> done =
              subBatches(
                  groups,
                  (shard, positions) -> {
                    DeleteRequest.Builder b = DeleteRequest.newBuilder();
                    positions.forEach(p -> b.addIdentities(request.getIdentities(p)));
                    return shard.stub(write()).delete(b.build());
                  },
                  request.getIdentitiesCount());
          DeleteResponse.Builder answer = DeleteResponse.newBuilder();
          for (var e : done.answers().entrySet()) {
            List<Integer> positions = groups.get(e.getKey());
            answer.setTx(Math.max(answer.getTx(), e.getValue().getTx()));
            answer.addAllEvents(e.getValue().getEventsList());
            for (WriteItem item : e.getValue().getItemsList()) {
              done.items()[positions.get(item.getIndex())] =
                  item.toBuilder().setIndex(positions.get(item.getIndex())).build();
            }
          }
          for (WriteItem item : done.items()) {
            answer.addItems(item);
          }
          return answer.build();
        });
  }

  /** Answers of the sub-batches by shard id, and the merged items array to fill. */
  private record SubBatches<T>(Map<Integer, T> answers, WriteItem[] items) {}

  @FunctionalInterface
  private interface SubBatch<T> {
    T apply(ShardClient shard, List<Integer> positions);
  }

  /**
   * Sends each group to its shard in parallel; acknowledges only when every sub-batch succeeded.
   * Otherwise UNAVAILABLE listing the failed request positions with each shard and code; applied
   * sub-batches stay applied (DISTRIBUTED.md §3 failure semantics; resending is safe).
   */
  private <T> SubBatches<T> subBatches(
      Map<Integer, List<Integer>> groups, SubBatch<T> rpc, int size) {
    Map<Integer, CompletableFuture<T>> futures = new TreeMap<>();
    for (var g : groups.entrySet()) {
      ShardClient shard = shards.get(g.getKey());
      futures.put(
          g.getKey(),
          CompletableFuture.supplyAsync(
              () -> call(shard, c -> rpc.apply(c, g.getValue())), fanout));
    }
    Map<Integer, T> answers = new TreeMap<>();
    List<Integer> failed = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (var f : futures.entrySet()) {
      try {
        answers.put(f.getKey(), f.getValue().join());
      } catch (CompletionException e) {
        Status s = Statuses.toStatus(e.getCause());
        failed.addAll(groups.get(f.getKey()));
        reasons.add("shard " + f.getKey() + " " + s.getCode());
      }
    }
    if (!failed.isEmpty()) {
      failed.sort(Comparator.naturalOrder());
      throw Status.UNAVAILABLE
          .withDescription(
              "failed positions "
                  + failed
                  + " ("
                  + String.join(", ", reasons)
                  + "); other positions were applied; resending the request is safe")
          .asRuntimeException();
    }
    return new SubBatches<>(answers, new WriteItem[size]);
  }

  @Override
  public StreamObserver<IngestRequest> ingestStream(StreamObserver<IngestStreamResponse> out) {
    return new StreamObserver<>() {
      private final IngestStreamResponse.Builder summary = IngestStreamResponse.newBuilder();
      private boolean failed;

      @Override
      public void onNext(IngestRequest request) {
        if (failed) {
          return;
        }
        try {
          IngestResponse r = ingest(request);
          summary.setRequests(summary.getRequests() + 1);
          summary.setRecords(summary.getRecords() + request.getRecordsCount());
          for (WriteItem item : r.getItemsList()) {
            if (item.getOutcome() == Outcome.OUTCOME_CREATED) {
              summary.setCreated(summary.getCreated() + 1);
            } else if (item.getOutcome() == Outcome.OUTCOME_UPDATED) {
              summary.setUpdated(summary.getUpdated() + 1);
            } else {
              summary.setUnchanged(summary.getUnchanged() + 1);
            }
          }
          summary.setLastTx(Math.max(summary.getLastTx(), r.getTx()));
        } catch (RuntimeException e) {
          failed = true;
          Status s = Statuses.toStatus(e);
          out.onError(
              s.withDescription("request " + summary.getRequests() + ": " + s.getDescription())
                  .asRuntimeException());
        }
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
      }

      @Override
      public void onCompleted() {
        if (!failed) {
          out.onNext(summary.build());
          out.onCompleted();
        }
      }
    };
  }

  // -------------------------------------------------------------------------------------------
  // Reads.

  @Override
  public void queryEntities(
      QueryEntitiesRequest request, StreamObserver<QueryEntitiesResponse> out) {
    unary(
        out,
        () -> {
          List<QueryEntitiesResponse> parts = fanOut(s -> s.stub(read()).queryEntities(request));
          if (single()) {
            return parts.get(0);
          }
          List<QueryMatch> matches = new ArrayList<>();
          for (QueryEntitiesResponse p : parts) {
            if (p.hasConflict()) {
              return p;
            }
            matches.addAll(p.getMatches().getMatchesList());
          }
          matches.sort(
              Comparator.<QueryMatch>comparingLong(
                      m -> m.getInterval().hasStart() ? m.getInterval().getStart() : Long.MIN_VALUE)
                  .thenComparingLong(
                      m -> m.getInterval().hasEnd() ? m.getInterval().getEnd() : Long.MAX_VALUE)
                  .thenComparingLong(QueryMatch::getEntityId));
          return QueryEntitiesResponse.newBuilder()
              .setMatches(QueryMatches.newBuilder().addAllMatches(matches))
              .setOntologyVersion(parts.get(0).getOntologyVersion())
              .build();
        });
  }

  @Override
  public void getEntity(GetEntityRequest request, StreamObserver<GetEntityResponse> out) {
    unary(
        out,
        () -> {
          int creator = (int) (request.getEntityId() >>> 48);
          ShardClient shard = creator < shards.size() ? shards.get(creator) : only();
          return call(shard, s -> s.stub(read()).getEntity(request));
        });
  }

  @Override
  public void getRecord(GetRecordRequest request, StreamObserver<GetRecordResponse> out) {
    unary(
        out,
        () -> {
          ShardClient shard =
              request.hasIdentity() ? shards.get(map.shardOf(request.getIdentity())) : only();
          return call(shard, s -> s.stub(read()).getRecord(request));
        });
  }

  @Override
  public void explain(ExplainRequest request, StreamObserver<ExplainResponse> out) {
    unary(
        out,
        () -> {
          if (single() || !request.hasA() || !request.hasB() || request.hasAsOfTx()) {
            return call(only(), s -> s.stub(read()).explain(request));
          }
          int a = map.shardOf(request.getA());
          int b = map.shardOf(request.getB());
          if (a == b) {
            return call(shards.get(a), s -> s.stub(read()).explain(request));
          }
          // Records on different shards are in different entities until reconciliation.
          GetRecordResponse ra = liveRecord(request.getA(), a);
          GetRecordResponse rb = liveRecord(request.getB(), b);
          ExplainOutcome outcome =
              request.getA().getEntityType().equals(request.getB().getEntityType())
                  ? ExplainOutcome.EXPLAIN_OUTCOME_NO_LINK_PATH
                  : ExplainOutcome.EXPLAIN_OUTCOME_DIFFERENT_ENTITY_TYPE;
          return ExplainResponse.newBuilder()
              .setOutcome(outcome)
              .setOntologyVersion(ra.getOntologyVersion())
              .build();
        });
  }

  private GetRecordResponse liveRecord(Identity id, int shard) {
    GetRecordResponse r =
        call(
            shards.get(shard),
            s -> s.stub(read()).getRecord(GetRecordRequest.newBuilder().setIdentity(id).build()));
    if (r.getStatus() != RecordStatus.RECORD_STATUS_LIVE) {
      throw Status.NOT_FOUND.withDescription("record is deleted").asRuntimeException();
    }
    return r;
  }

  @Override
  public void listConflicts(
      ListConflictsRequest request, StreamObserver<ListConflictsResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(read()).listConflicts(request));
          }
          // Shard by shard: the token carries the shard and that shard's own token.
          int shard = 0;
          String inner = "";
          if (!request.getPageToken().isEmpty()) {
            String t = decode(request.getPageToken());
            int colon = t.indexOf(':');
            try {
              shard = Integer.parseInt(t.substring(0, colon));
            } catch (RuntimeException e) {
              throw new IllegalArgumentException("page_token is not a token of this router");
            }
            if (shard < 0 || shard >= shards.size()) {
              throw new IllegalArgumentException("page_token is not a token of this router");
            }
            inner = t.substring(colon + 1);
          }
          String innerToken = inner;
          ListConflictsResponse page =
              call(
                  shards.get(shard),
                  s ->
                      s.stub(read())
                          .listConflicts(request.toBuilder().setPageToken(innerToken).build()));
          String next = "";
          if (!page.getNextPageToken().isEmpty()) {
            next = encode(shard + ":" + page.getNextPageToken());
          } else if (shard + 1 < shards.size()) {
            next = encode((shard + 1) + ":");
          }
          return page.toBuilder().setNextPageToken(next).build();
        });
  }

  private static String encode(String s) {
    return TOKEN_PREFIX
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String token) {
    if (!token.startsWith(TOKEN_PREFIX)) {
      throw new IllegalArgumentException("page_token is not a token of this router");
    }
    try {
      return new String(
          Base64.getUrlDecoder().decode(token.substring(TOKEN_PREFIX.length())),
          StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("page_token is not a token of this router");
    }
  }

  @Override
  public void listEntities(ListEntitiesRequest request, StreamObserver<ListEntitiesResponse> out) {
    unary(
        out,
        () -> {
          List<ListEntitiesResponse> pages = fanOut(s -> s.stub(read()).listEntities(request));
          if (single()) {
            return pages.get(0);
          }
          int size = request.getPageSize() == 0 ? 100 : request.getPageSize();
          List<EntitySummary> all = new ArrayList<>();
          boolean more = false;
          for (ListEntitiesResponse p : pages) {
            all.addAll(p.getEntitiesList());
            more |= p.getNextAfterId() != 0;
          }
          all.sort((x, y) -> Long.compareUnsigned(x.getEntityId(), y.getEntityId()));
          List<EntitySummary> page = all.subList(0, Math.min(size, all.size()));
          boolean hasNext = more || all.size() > size;
          return ListEntitiesResponse.newBuilder()
              .addAllEntities(page)
              .setNextAfterId(hasNext && !page.isEmpty() ? page.getLast().getEntityId() : 0)
              .setOntologyVersion(pages.get(0).getOntologyVersion())
              .build();
        });
  }

  @Override
  public void listEntityChanges(
      ListEntityChangesRequest request, StreamObserver<ListEntityChangesResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(read()).listEntityChanges(request));
          }
          throw new UnsupportedOperationException(
              "ListEntityChanges through a router with several shards is not available yet");
        });
  }

  @Override
  public void getStats(GetStatsRequest request, StreamObserver<GetStatsResponse> out) {
    unary(
        out,
        () -> {
          List<GetStatsResponse> parts = fanOut(s -> s.stub(read()).getStats(request));
          GetStatsResponse.Builder sum = GetStatsResponse.newBuilder();
          for (GetStatsResponse p : parts) {
            sum.setRecords(sum.getRecords() + p.getRecords())
                .setEntities(sum.getEntities() + p.getEntities())
                .setConflicts(sum.getConflicts() + p.getConflicts())
                .setLastTx(Math.max(sum.getLastTx(), p.getLastTx()))
                .setOntologyVersion(p.getOntologyVersion());
          }
          return sum.build();
        });
  }

  @Override
  public void checkpoint(CheckpointRequest request, StreamObserver<CheckpointResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(config.writeDeadline()).checkpoint(request));
          }
          throw new UnsupportedOperationException(
              "Checkpoint through a router with several shards is not available yet");
        });
  }

  @Override
  public void export(ExportRequest request, StreamObserver<ExportResponse> out) {
    unary(
        out,
        () -> {
          if (single()) {
            return call(only(), s -> s.stub(config.writeDeadline()).export(request));
          }
          throw new UnsupportedOperationException(
              "Export through a router with several shards is not available yet");
        });
  }
}
