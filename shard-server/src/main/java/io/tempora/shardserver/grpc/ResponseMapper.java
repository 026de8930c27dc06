package io.tempora.shardserver.grpc;

import io.tempora.engine.Engine.OntologyInfo;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.OntologyResult;
import io.tempora.engine.RecordInfo;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.link.LinkIndex.LinkStep;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.query.ConflictPage;
import io.tempora.engine.query.Explanation;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.store.StoreMeta.ResolutionJob;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.write.WriteResult;
import io.tempora.persistence.CheckpointInfo;
import io.tempora.persistence.export.ExportSummary;
import io.tempora.persistence.export.ShardExport;
import io.tempora.proto.v1.BlockedMergeConflict;
import io.tempora.proto.v1.CheckpointResponse;
import io.tempora.proto.v1.ConflictKind;
import io.tempora.proto.v1.ConstraintConflict;
import io.tempora.proto.v1.DeleteResponse;
import io.tempora.proto.v1.DirectConflict;
import io.tempora.proto.v1.EntityEventKind;
import io.tempora.proto.v1.EntityHolders;
import io.tempora.proto.v1.EntityMember;
import io.tempora.proto.v1.EntityStatus;
import io.tempora.proto.v1.ExplainOutcome;
import io.tempora.proto.v1.ExplainResponse;
import io.tempora.proto.v1.ExportResponse;
import io.tempora.proto.v1.ExportedFile;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetOntologyResponse;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryConflict;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.QueryMatches;
import io.tempora.proto.v1.RecordStatus;
import io.tempora.proto.v1.ResolutionJobState;
import io.tempora.proto.v1.SetOntologyResponse;
import io.tempora.proto.v1.ShardExportResult;
import io.tempora.proto.v1.ValueHolders;
import io.tempora.proto.v1.VersionKind;
import io.tempora.proto.v1.WriteItem;
import java.util.List;

/**
 * Engine answers to proto responses. Unbounded interval sides ({@link Interval#NEG_INF}, {@link
 * Interval#POS_INF}) are left unset, ids travel as their unsigned 64-bit value. Stateless.
 */
public final class ResponseMapper {
  private ResponseMapper() {}

  /** An upsert's answer. */
  public static IngestResponse ingest(WriteResult r) {
    IngestResponse.Builder b = IngestResponse.newBuilder().setTx(r.tx());
    r.items().forEach(i -> b.addItems(item(i)));
    r.events().forEach(e -> b.addEvents(event(e)));
    return b.build();
  }

  /** A delete's answer. */
  public static DeleteResponse delete(WriteResult r) {
    DeleteResponse.Builder b = DeleteResponse.newBuilder().setTx(r.tx());
    r.items().forEach(i -> b.addItems(item(i)));
    r.events().forEach(e -> b.addEvents(event(e)));
    return b.build();
  }

  private static WriteItem item(WriteResult.Item i) {
    return WriteItem.newBuilder()
        .setIndex(i.index())
        .setOutcome(Outcome.valueOf("OUTCOME_" + i.outcome().name()))
        .setRecordId(i.recordId())
        .setVersion(i.version())
        .setTx(i.tx())
        .setEntityId(i.entityId())
        .build();
  }

  /** An entity event. */
  public static io.tempora.proto.v1.EntityEvent event(EntityEvent e) {
    return io.tempora.proto.v1.EntityEvent.newBuilder()
        .setTx(e.tx())
        .setKind(EntityEventKind.valueOf("ENTITY_EVENT_KIND_" + e.kind().name()))
        .setEntityId(e.entityId())
        .addAllRelatedIds(e.relatedIds())
        .build();
  }

  /** SetOntology's answer. */
  public static SetOntologyResponse setOntology(OntologyResult r) {
    SetOntologyResponse.Builder b =
        SetOntologyResponse.newBuilder().setVersion(r.version()).setTx(r.tx());
    r.events().forEach(e -> b.addEvents(event(e)));
    return b.build();
  }

  /** GetOntology's answer. */
  public static GetOntologyResponse ontology(OntologyInfo info) {
    GetOntologyResponse.Builder b =
        GetOntologyResponse.newBuilder()
            .setOntologyVersion(info.version())
            .setOntology(ontology(info.ontology()));
    ResolutionJob job = info.job();
    if (job != null) {
      b.getJobBuilder()
          .setTargetVersion(job.targetVersion())
          .setState(ResolutionJobState.valueOf("RESOLUTION_JOB_STATE_" + job.state().name()))
          .setRecordsDone(job.recordsDone())
          .setRecordsTotal(job.recordsTotal());
    }
    return b.build();
  }

  private static io.tempora.proto.v1.Ontology ontology(Ontology o) {
    io.tempora.proto.v1.Ontology.Builder b = io.tempora.proto.v1.Ontology.newBuilder();
    for (Ontology.IdentityKey k : o.identityKeys()) {
      b.addIdentityKeysBuilder()
          .setName(k.name())
          .addAllAttributes(k.attributes())
          .addAllEntityTypes(k.entityTypes());
    }
    for (Ontology.StrongIdentifier s : o.strongIdentifiers()) {
      b.addStrongIdentifiersBuilder()
          .setAttribute(s.attribute())
          .addAllEntityTypes(s.entityTypes());
    }
    for (Ontology.Constraint c : o.constraints()) {
      b.addConstraintsBuilder()
          .setName(c.name())
          .setAttribute(c.attribute())
          .setKind(constraintKind(c.kind()))
          .addAllEntityTypes(c.entityTypes());
    }
    for (Ontology.IgnoredValues iv : o.ignoredValues()) {
      b.addIgnoredValuesBuilder()
          .setAttribute(iv.attribute())
          .addAllValues(iv.values())
          .addAllEntityTypes(iv.entityTypes());
    }
    return b.build();
  }

  private static io.tempora.proto.v1.ConstraintKind constraintKind(Ontology.ConstraintKind k) {
    return k == null
        ? io.tempora.proto.v1.ConstraintKind.CONSTRAINT_KIND_UNSPECIFIED
        : io.tempora.proto.v1.ConstraintKind.valueOf("CONSTRAINT_KIND_" + k.name());
  }

  /** An interval; unbounded sides unset. */
  public static io.tempora.proto.v1.Interval interval(long start, long end) {
    io.tempora.proto.v1.Interval.Builder b = io.tempora.proto.v1.Interval.newBuilder();
    if (start != Interval.NEG_INF) {
      b.setStart(start);
    }
    if (end != Interval.POS_INF) {
      b.setEnd(end);
    }
    return b.build();
  }

  private static io.tempora.proto.v1.Interval interval(Interval i) {
    return interval(i.start(), i.end());
  }

  /** An identity. */
  public static io.tempora.proto.v1.Identity identity(Identity id) {
    return io.tempora.proto.v1.Identity.newBuilder()
        .setEntityType(id.entityType())
        .setPerspective(id.perspective())
        .setUid(id.uid())
        .build();
  }

  private static List<io.tempora.proto.v1.Identity> identities(List<Identity> ids) {
    return ids.stream().map(ResponseMapper::identity).toList();
  }

  private static io.tempora.proto.v1.Descriptor descriptor(Descriptor d) {
    return io.tempora.proto.v1.Descriptor.newBuilder()
        .setAttr(d.attr())
        .setValue(d.value())
        .setInterval(interval(d.start(), d.end()))
        .build();
  }

  private static List<io.tempora.proto.v1.Descriptor> descriptors(List<Descriptor> ds) {
    return ds.stream().map(ResponseMapper::descriptor).toList();
  }

  /** GetRecord's answer. */
  public static GetRecordResponse record(RecordInfo r) {
    GetRecordResponse.Builder b =
        GetRecordResponse.newBuilder()
            .setRecordId(r.recordId())
            .setStatus(
                r.live() ? RecordStatus.RECORD_STATUS_LIVE : RecordStatus.RECORD_STATUS_DELETED)
            .setVersion(r.version())
            .setEntityId(r.entityId())
            .setOntologyVersion(r.ontologyVersion());
    if (r.historyKeptFromTx() != 0) {
      b.setHistoryKeptFromTx(r.historyKeptFromTx());
    }
    if (r.live()) {
      b.addAllDescriptors(descriptors(r.descriptors().pieces()));
    }
    for (io.tempora.engine.model.RecordVersion v : r.history()) {
      io.tempora.proto.v1.RecordVersion.Builder h =
          b.addHistoryBuilder()
              .setVersion(v.version())
              .setTx(v.tx())
              .setKind(VersionKind.valueOf("VERSION_KIND_" + v.kind().name()));
      if (!v.isDeleted()) {
        h.addAllDescriptors(descriptors(v.descriptors().pieces()));
      }
    }
    return b.build();
  }

  /** GetEntity's answer. */
  public static GetEntityResponse entity(EntityInfo e) {
    GetEntityResponse.Builder b =
        GetEntityResponse.newBuilder()
            .setRequested(e.requested())
            .setResolved(e.resolved())
            .setStatus(entityStatus(e.status()))
            .setResolvedStatus(entityStatus(e.resolvedStatus()))
            .setDeletedTx(e.deletedTx())
            .setOntologyVersion(e.ontologyVersion());
    if (e.resolvedStatus() == EntityRow.Status.DELETED) {
      return b.build();
    }
    b.setEntityType(e.entityType());
    for (EntityInfo.Member m : e.members()) {
      b.addMembers(
          EntityMember.newBuilder()
              .setIdentity(identity(m.identity()))
              .setRecordId(m.recordId())
              .setVersion(m.version()));
    }
    b.addAllGolden(descriptors(e.golden()));
    e.conflicts().forEach(c -> b.addConflicts(conflict(c)));
    b.addAllAliases(e.aliases());
    return b.build();
  }

  private static EntityStatus entityStatus(EntityRow.Status s) {
    return EntityStatus.valueOf("ENTITY_STATUS_" + s.name());
  }

  /** One page of ListConflicts. */
  public static ListConflictsResponse conflicts(ConflictPage p) {
    ListConflictsResponse.Builder b =
        ListConflictsResponse.newBuilder().setOntologyVersion(p.ontologyVersion());
    p.items().forEach(i -> b.addItems(conflict(i)));
    if (p.nextPageToken() != null) {
      b.setNextPageToken(p.nextPageToken());
    }
    return b.build();
  }

  /** A conflict item. */
  public static io.tempora.proto.v1.ConflictItem conflict(ConflictItem item) {
    io.tempora.proto.v1.ConflictItem.Builder b =
        io.tempora.proto.v1.ConflictItem.newBuilder()
            .setKind(ConflictKind.valueOf("CONFLICT_KIND_" + item.kind().name()))
            .setEntityType(item.entityType())
            .setAttribute(item.attribute())
            .setInterval(interval(item.interval()));
    switch (item) {
      case ConflictItem.Direct d -> b.setDirect(direct(d));
      case ConflictItem.BlockedMerge m -> b.setBlockedMerge(blocked(m));
      case ConflictItem.ConstraintViolation c -> b.setConstraint(constraint(c));
    }
    return b.build();
  }

  private static DirectConflict direct(ConflictItem.Direct d) {
    DirectConflict.Builder b = DirectConflict.newBuilder().setEntityId(d.entityId());
    for (ConflictItem.ValueHolders v : d.values()) {
      b.addValues(
          ValueHolders.newBuilder().setValue(v.value()).addAllHolders(identities(v.holders())));
    }
    return b.build();
  }

  private static BlockedMergeConflict blocked(ConflictItem.BlockedMerge m) {
    return BlockedMergeConflict.newBuilder()
        .setEntityA(m.entityA())
        .setEntityB(m.entityB())
        .addAllLinkRecords(identities(m.linkRecords()))
        .setKey(m.key())
        .addAllTuple(m.tuple())
        .setLinkInterval(interval(m.linkInterval()))
        .setPerspective(m.perspective())
        .setValueA(m.valueA())
        .setValueB(m.valueB())
        .addAllConflictRecords(identities(m.conflictRecords()))
        .build();
  }

  private static ConstraintConflict constraint(ConflictItem.ConstraintViolation c) {
    ConstraintConflict.Builder b =
        ConstraintConflict.newBuilder()
            .setConstraint(c.constraint())
            .setConstraintKind(constraintKind(c.constraintKind()))
            .setValue(c.value());
    if (c.perspective() != null) {
      b.setPerspective(c.perspective());
    }
    for (ConflictItem.EntityHolders h : c.entities()) {
      b.addEntities(
          EntityHolders.newBuilder()
              .setEntityId(h.entityId())
              .addAllHolders(identities(h.holders())));
    }
    return b.build();
  }

  /** A query's answer. */
  public static QueryEntitiesResponse query(QueryResult r) {
    QueryEntitiesResponse.Builder b =
        QueryEntitiesResponse.newBuilder().setOntologyVersion(r.ontologyVersion());
    if (r.matches() != null) {
      QueryMatches.Builder ms = QueryMatches.newBuilder();
      for (QueryResult.Match m : r.matches()) {
        ms.addMatchesBuilder()
            .setEntityId(m.entityId())
            .setInterval(interval(m.interval()))
            .addAllGolden(descriptors(m.golden()));
      }
      b.setMatches(ms);
    } else {
      QueryConflict.Builder qc = QueryConflict.newBuilder();
      for (QueryResult.ConflictInterval ci : r.conflict()) {
        io.tempora.proto.v1.QueryConflictInterval.Builder cb =
            qc.addIntervalsBuilder().setInterval(interval(ci.interval()));
        for (QueryResult.ConflictEntity ce : ci.entities()) {
          io.tempora.proto.v1.QueryConflictEntity.Builder eb =
              cb.addEntitiesBuilder().setEntityId(ce.entityId());
          for (QueryResult.DescriptorHolders dh : ce.descriptors()) {
            eb.addDescriptorsBuilder()
                .setAttr(dh.attr())
                .setValue(dh.value())
                .addAllHolders(identities(dh.holders()));
          }
        }
      }
      b.setConflict(qc);
    }
    return b.build();
  }

  /** Explain's answer. */
  public static ExplainResponse explain(Explanation x) {
    ExplainResponse.Builder b =
        ExplainResponse.newBuilder()
            .setOutcome(ExplainOutcome.valueOf("EXPLAIN_OUTCOME_" + x.outcome().name()))
            .addAllPath(identities(x.path()))
            .setOntologyVersion(x.ontologyVersion());
    for (LinkStep s : x.steps()) {
      b.addStepsBuilder()
          .setKey(s.key())
          .addAllTuple(s.tuple())
          .setLinkInterval(interval(s.piece()));
    }
    x.blocked().forEach(m -> b.addBlocked(conflict(m)));
    return b.build();
  }

  static CheckpointResponse checkpoint(CheckpointInfo c) {
    return CheckpointResponse.newBuilder()
        .setPath(c.dir().toString())
        .setLastTx(c.tx())
        .setName(c.dir().getFileName().toString())
        .setCreatedUnixSeconds(c.utc().getEpochSecond())
        .build();
  }

  /** The Export response of one shard's export. */
  static ExportResponse export(ExportSummary s) {
    ShardExportResult.Builder shard =
        ShardExportResult.newBuilder()
            .setShardId(s.shardId())
            .setDir(s.dir().toString())
            .setTx(s.tx());
    s.wseq().ifPresent(shard::setWseq);
    ExportResponse.Builder out =
        ExportResponse.newBuilder()
            .setName(s.dir().getFileName().toString())
            .setRows(s.totalRows());
    s.rows()
        .forEach(
            (file, rows) -> {
              shard.addFiles(ExportedFile.newBuilder().setName(file).setRows(rows));
              out.addFiles(s.dir().resolve(file).toString());
            });
    out.addFiles(s.dir().resolve(ShardExport.SUCCESS).toString());
    return out.addShards(shard).build();
  }
}
