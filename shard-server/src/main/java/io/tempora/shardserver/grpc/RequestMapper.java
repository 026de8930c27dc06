package io.tempora.shardserver.grpc;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.engine.query.Query;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.temporal.Interval;
import io.tempora.proto.v1.ConflictKind;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.Record;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Proto requests to engine inputs. Only proto-level structure is checked here (a required message
 * missing, an enum unset), with INVALID_ARGUMENT naming the field; everything DOMAIN.md validates
 * is left to the engine so that its messages stay the only ones. Stateless.
 */
public final class RequestMapper {
  private RequestMapper() {}

  /** The records of an upsert. */
  public static List<RecordInput> records(IngestRequest request) {
    List<RecordInput> out = new ArrayList<>(request.getRecordsCount());
    for (int i = 0; i < request.getRecordsCount(); i++) {
      Record r = request.getRecords(i);
      if (!r.hasIdentity()) {
        throw new IllegalArgumentException("record " + i + ": identity must be set");
      }
      List<Descriptor> ds = new ArrayList<>(r.getDescriptorsCount());
      for (io.tempora.proto.v1.Descriptor d : r.getDescriptorsList()) {
        ds.add(descriptor(d));
      }
      out.add(new RecordInput(identity(r.getIdentity()), ds));
    }
    return out;
  }

  private static Descriptor descriptor(io.tempora.proto.v1.Descriptor d) {
    io.tempora.proto.v1.Interval i = d.getInterval();
    return Descriptor.of(
        d.getAttr(),
        d.getValue(),
        i.hasStart() ? i.getStart() : null,
        i.hasEnd() ? i.getEnd() : null);
  }

  /** The identities of a delete. */
  public static List<Identity> identities(DeleteRequest request) {
    List<Identity> out = new ArrayList<>(request.getIdentitiesCount());
    for (int i = 0; i < request.getIdentitiesCount(); i++) {
      out.add(identity(request.getIdentities(i)));
    }
    return out;
  }

  /** A required identity field; unset → INVALID_ARGUMENT {@code <field> must be set}. */
  public static Identity requiredIdentity(
      boolean present, io.tempora.proto.v1.Identity id, String field) {
    if (!present) {
      throw new IllegalArgumentException(field + " must be set");
    }
    return identity(id);
  }

  /** An identity; empty fields are left for the engine to reject. */
  public static Identity identity(io.tempora.proto.v1.Identity id) {
    return Identity.of(id.getEntityType(), id.getPerspective(), id.getUid());
  }

  /** An ontology document; an unset constraint kind becomes null for the engine to reject. */
  public static Ontology ontology(io.tempora.proto.v1.Ontology o) {
    List<Ontology.IdentityKey> keys = new ArrayList<>();
    for (io.tempora.proto.v1.IdentityKey k : o.getIdentityKeysList()) {
      keys.add(
          new Ontology.IdentityKey(k.getName(), k.getAttributesList(), k.getEntityTypesList()));
    }
    List<Ontology.StrongIdentifier> strong = new ArrayList<>();
    for (io.tempora.proto.v1.StrongIdentifier s : o.getStrongIdentifiersList()) {
      strong.add(new Ontology.StrongIdentifier(s.getAttribute(), s.getEntityTypesList()));
    }
    List<Ontology.Constraint> constraints = new ArrayList<>();
    for (io.tempora.proto.v1.Constraint c : o.getConstraintsList()) {
      constraints.add(
          new Ontology.Constraint(
              c.getName(), c.getAttribute(), constraintKind(c.getKind()), c.getEntityTypesList()));
    }
    List<Ontology.IgnoredValues> ignored = new ArrayList<>();
    for (io.tempora.proto.v1.IgnoredValues iv : o.getIgnoredValuesList()) {
      ignored.add(
          new Ontology.IgnoredValues(
              iv.getAttribute(), iv.getValuesList(), iv.getEntityTypesList()));
    }
    return new Ontology(keys, strong, constraints, ignored);
  }

  private static ConstraintKind constraintKind(io.tempora.proto.v1.ConstraintKind kind) {
    return switch (kind) {
      case CONSTRAINT_KIND_UNIQUE -> ConstraintKind.UNIQUE;
      case CONSTRAINT_KIND_UNIQUE_WITHIN_PERSPECTIVE -> ConstraintKind.UNIQUE_WITHIN_PERSPECTIVE;
      case CONSTRAINT_KIND_UNSPECIFIED, UNRECOGNIZED -> null;
    };
  }

  /** A query; the engine validates descriptors and the window. */
  public static QueryRequest query(QueryEntitiesRequest q) {
    List<AttrValue> ds = new ArrayList<>(q.getDescriptorsCount());
    for (io.tempora.proto.v1.AttrValue d : q.getDescriptorsList()) {
      ds.add(new AttrValue(d.getAttr(), d.getValue()));
    }
    io.tempora.proto.v1.Interval w = q.getWindow();
    return new QueryRequest(
        ds,
        w.hasStart() ? w.getStart() : Interval.NEG_INF,
        w.hasEnd() ? w.getEnd() : Interval.POS_INF,
        q.hasEntityType() ? q.getEntityType() : null,
        q.getReturnAll());
  }

  /** A GetEntity window: null when unset; an empty one → INVALID_ARGUMENT as for queries. */
  public static Interval window(boolean present, io.tempora.proto.v1.Interval w) {
    if (!present) {
      return null;
    }
    long s = w.hasStart() ? w.getStart() : Interval.NEG_INF;
    long e = w.hasEnd() ? w.getEnd() : Interval.POS_INF;
    Query.checkWindow(s, e);
    return new Interval(s, e);
  }

  /** ListConflicts filters; an unset kind → INVALID_ARGUMENT naming it. */
  public static ConflictFilter conflictFilter(io.tempora.proto.v1.ConflictFilter f) {
    Long start = null;
    Long end = null;
    if (f.hasWindow()) {
      start = f.getWindow().hasStart() ? f.getWindow().getStart() : Interval.NEG_INF;
      end = f.getWindow().hasEnd() ? f.getWindow().getEnd() : Interval.POS_INF;
    }
    return new ConflictFilter(
        start,
        end,
        f.hasAttribute() ? f.getAttribute() : null,
        kinds(f.getKindsList()),
        f.hasEntityType() ? f.getEntityType() : null,
        f.hasEntityId() ? f.getEntityId() : null);
  }

  private static Set<ConflictItem.Kind> kinds(List<ConflictKind> kinds) {
    Set<ConflictItem.Kind> out = EnumSet.noneOf(ConflictItem.Kind.class);
    for (int j = 0; j < kinds.size(); j++) {
      out.add(
          switch (kinds.get(j)) {
            case CONFLICT_KIND_DIRECT -> ConflictItem.Kind.DIRECT;
            case CONFLICT_KIND_BLOCKED_MERGE -> ConflictItem.Kind.BLOCKED_MERGE;
            case CONFLICT_KIND_CONSTRAINT -> ConflictItem.Kind.CONSTRAINT;
            case CONFLICT_KIND_UNSPECIFIED, UNRECOGNIZED ->
                throw new IllegalArgumentException(
                    "filter: kinds[" + j + "] must be DIRECT, BLOCKED_MERGE or CONSTRAINT");
          });
    }
    return out;
  }

  /** Rejects the reserved {@code as_of_tx} (DOMAIN.md §10) with UNIMPLEMENTED. */
  public static void rejectAsOfTx(boolean present) {
    if (present) {
      throw new UnsupportedOperationException(
          "as_of_tx: reads as of a past transaction are not implemented");
    }
  }
}
