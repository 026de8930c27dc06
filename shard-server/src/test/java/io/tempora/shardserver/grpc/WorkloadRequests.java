package io.tempora.shardserver.grpc;

import io.tempora.engine.model.RecordInput;
import io.tempora.engine.oracle.Op;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.query.QueryRequest;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.util.ArrayList;
import java.util.List;

/**
 * The requests of an engine {@link Workload} (the engine's WorkloadGenerator) on the wire, in a
 * namespace {@code ns} prefixed to entity types, values and ontology element names ("" for none),
 * so that several workloads can share one service without linking. Stateless.
 */
public final class WorkloadRequests {
  private WorkloadRequests() {}

  /** Sends every op of {@code w} in order (a failure throws). */
  public static void apply(TemporaServiceBlockingStub stub, Workload w, String ns) {
    apply(stub, w.ops(), ns);
  }

  /** Sends {@code ops} in order (a failure throws). */
  public static void apply(TemporaServiceBlockingStub stub, List<Op> ops, String ns) {
    for (Op op : ops) {
      switch (op) {
        case Op.Upsert u -> stub.ingest(ingest(u, ns));
        case Op.Delete d -> stub.delete(delete(d, ns));
      }
    }
  }

  /** The delete request of a delete, in namespace {@code ns}. */
  public static DeleteRequest delete(Op.Delete d, String ns) {
    DeleteRequest.Builder b = DeleteRequest.newBuilder();
    d.identities().forEach(id -> b.addIdentities(identity(id, ns)));
    return b.build();
  }

  /** The ingest request of an upsert, in namespace {@code ns}. */
  public static IngestRequest ingest(Op.Upsert u, String ns) {
    IngestRequest.Builder b = IngestRequest.newBuilder();
    for (RecordInput r : u.records()) {
      Record.Builder rb = Record.newBuilder().setIdentity(identity(r.identity(), ns));
      for (io.tempora.engine.model.Descriptor d : r.descriptors()) {
        Interval.Builder i = Interval.newBuilder();
        if (!d.startOmitted()) {
          i.setStart(d.start());
        }
        if (!d.endOmitted()) {
          i.setEnd(d.end());
        }
        rb.addDescriptors(
            Descriptor.newBuilder().setAttr(d.attr()).setValue(ns + d.value()).setInterval(i));
      }
      b.addRecords(rb);
    }
    return b.build();
  }

  /** An identity in namespace {@code ns}. */
  public static Identity identity(io.tempora.engine.model.Identity id, String ns) {
    return Identity.newBuilder()
        .setEntityType(ns + id.entityType())
        .setPerspective(id.perspective())
        .setUid(id.uid())
        .build();
  }

  /** An element's entity types in the namespace; "all types" becomes the workload's types. */
  private static List<String> types(List<String> types, List<String> all, String ns) {
    return (types.isEmpty() ? all : types).stream().map(t -> ns + t).toList();
  }

  /** The workload's ontology in namespace {@code ns}, each element scoped to its types. */
  public static Ontology ontology(Workload w, String ns) {
    var o = w.ontology();
    List<String> all = List.of("person", "company");
    Ontology.Builder b = Ontology.newBuilder();
    o.identityKeys()
        .forEach(
            k ->
                b.addIdentityKeysBuilder()
                    .setName(ns + k.name())
                    .addAllAttributes(k.attributes())
                    .addAllEntityTypes(types(k.entityTypes(), all, ns)));
    o.strongIdentifiers()
        .forEach(
            s ->
                b.addStrongIdentifiersBuilder()
                    .setAttribute(s.attribute())
                    .addAllEntityTypes(types(s.entityTypes(), all, ns)));
    o.constraints()
        .forEach(
            c ->
                b.addConstraintsBuilder()
                    .setName(ns + c.name())
                    .setAttribute(c.attribute())
                    .setKind(
                        io.tempora.proto.v1.ConstraintKind.valueOf(
                            "CONSTRAINT_KIND_" + c.kind().name()))
                    .addAllEntityTypes(types(c.entityTypes(), all, ns)));
    o.ignoredValues()
        .forEach(
            iv ->
                b.addIgnoredValuesBuilder()
                    .setAttribute(iv.attribute())
                    .addAllValues(iv.values().stream().map(v -> ns + v).toList())
                    .addAllEntityTypes(types(iv.entityTypes(), all, ns)));
    return b.build();
  }

  /** The generator's queries in namespace {@code ns}. */
  public static List<QueryEntitiesRequest> queries(List<QueryRequest> qs, String ns) {
    List<QueryEntitiesRequest> out = new ArrayList<>();
    for (QueryRequest q : qs) {
      QueryEntitiesRequest.Builder b = QueryEntitiesRequest.newBuilder();
      q.descriptors()
          .forEach(
              d ->
                  b.addDescriptors(
                      AttrValue.newBuilder().setAttr(d.attr()).setValue(ns + d.value())));
      Interval.Builder i = Interval.newBuilder();
      if (q.windowStart() != Long.MIN_VALUE) {
        i.setStart(q.windowStart());
      }
      if (q.windowEnd() != Long.MAX_VALUE) {
        i.setEnd(q.windowEnd());
      }
      b.setWindow(i).setReturnAll(q.returnAll());
      if (q.entityType() != null) {
        b.setEntityType(ns + q.entityType());
      }
      out.add(b.build());
    }
    return out;
  }
}
