package io.tempora.shardserver.grpc;

import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import io.tempora.proto.v1.ConflictFilter;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DISTRIBUTED.md DS-T1's comparison (DOMAIN.md §12 equivalence): every read of a namespace as text
 * — partition, every entity's members, golden record and conflicts, GetRecord of every live record,
 * ListConflicts per entity type and the given queries — with entity ids replaced by anchors (the
 * entity's first member) and record ids, versions, tx numbers and {@code settled} left out, so that
 * a router in front of several shards and a single engine fed the same requests give equal text.
 * Stateless.
 */
public final class ReadSnapshot {
  private static final Pattern ID =
      Pattern.compile("(entity_id|entity_a|entity_b|requested|resolved): (\\d+)");
  private static final Pattern DROPPED =
      Pattern.compile(
          "(?m)^\\s*(record_id|version|aliases|deleted_tx|ontology_version|tx|settled): .*\\n");

  private ReadSnapshot() {}

  /** Every read of the namespace as text, entity ids replaced by anchors. */
  public static String snapshot(
      TemporaServiceBlockingStub stub,
      String ns,
      List<String> types,
      List<QueryEntitiesRequest> queries) {
    Map<Long, String> anchors = new HashMap<>();
    long after = 0;
    do {
      ListEntitiesResponse page =
          stub.listEntities(
              ListEntitiesRequest.newBuilder().setAfterId(after).setPageSize(1000).build());
      for (EntitySummary e : page.getEntitiesList()) {
        if (e.getMembers(0).getEntityType().startsWith(ns)) {
          anchors.put(e.getEntityId(), TextFormat.printer().shortDebugString(e.getMembers(0)));
        }
      }
      after = page.getNextAfterId();
    } while (after != 0);
    StringBuilder out = new StringBuilder();
    Set<Identity> live = new LinkedHashSet<>();
    anchors.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(
            e -> {
              GetEntityResponse entity =
                  stub.getEntity(GetEntityRequest.newBuilder().setEntityId(e.getKey()).build());
              entity.getMembersList().forEach(m -> live.add(m.getIdentity()));
              out.append("entity ").append(canon(entity, anchors)).append('\n');
            });
    for (Identity id : live) {
      GetRecordResponse r = stub.getRecord(GetRecordRequest.newBuilder().setIdentity(id).build());
      GetRecordResponse reduced =
          GetRecordResponse.newBuilder()
              .setStatus(r.getStatus())
              .addAllDescriptors(r.getDescriptorsList())
              .setEntityId(r.getEntityId())
              .build();
      out.append("record ").append(canon(reduced, anchors)).append('\n');
    }
    for (String type : types) {
      String token = "";
      do {
        ListConflictsResponse page =
            stub.listConflicts(
                ListConflictsRequest.newBuilder()
                    .setFilter(ConflictFilter.newBuilder().setEntityType(type))
                    .setPageSize(3)
                    .setPageToken(token)
                    .build());
        page.getItemsList().forEach(c -> out.append("conflict ").append(canon(c, anchors)));
        token = page.getNextPageToken();
      } while (!token.isEmpty());
    }
    for (QueryEntitiesRequest q : queries) {
      out.append("query ")
          .append(TextFormat.printer().shortDebugString(q))
          .append(" → ")
          .append(canon(stub.queryEntities(q), anchors))
          .append('\n');
    }
    return out.toString();
  }

  private static String canon(Message m, Map<Long, String> anchors) {
    String text = DROPPED.matcher(TextFormat.printer().printToString(m)).replaceAll("");
    Matcher x = ID.matcher(text);
    StringBuilder b = new StringBuilder();
    while (x.find()) {
      String anchor = anchors.getOrDefault(Long.parseUnsignedLong(x.group(2)), "?" + x.group(2));
      x.appendReplacement(b, Matcher.quoteReplacement(x.group(1) + ": <" + anchor + ">"));
    }
    x.appendTail(b);
    return b.toString();
  }
}
