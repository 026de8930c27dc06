package io.tempora.persistence.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.EntityHolders;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.IgnoredValues;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreMeta.ResolutionJob;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-written Kryo serializers, one per stored type, registered with fixed ids. Each writes its
 * fields with {@code Output} primitives in the order docs/storage.md lists, so the bytes cannot
 * drift with class changes. The layout byte in front of every value is written by {@link
 * ValueCodec}, not here.
 */
final class Serializers {
  private Serializers() {}

  /** Registers every serializer; ids are part of the format and never reused. */
  static void register(Kryo kryo) {
    kryo.setRegistrationRequired(true);
    kryo.register(IntervalSet.class, new IntervalSetSerializer(), 100);
    kryo.register(StoreMeta.class, new StoreMetaSerializer(), 101);
    kryo.register(EntityRow.class, new EntityRowSerializer(), 102);
    kryo.register(EntityEvent.class, new EntityEventSerializer(), 103);
    kryo.register(Ontology.class, new OntologySerializer(), 104);
    kryo.register(Direct.class, new DirectSerializer(), 105);
    kryo.register(BlockedMerge.class, new BlockedMergeSerializer(), 106);
    kryo.register(ConstraintViolation.class, new ConstraintSerializer(), 107);
  }

  static final class IntervalSetSerializer extends Serializer<IntervalSet> {
    @Override
    public void write(Kryo kryo, Output out, IntervalSet set) {
      Primitives.intervals(out, set);
    }

    @Override
    public IntervalSet read(Kryo kryo, Input in, Class<? extends IntervalSet> type) {
      return Primitives.intervals(in);
    }
  }

  static final class StoreMetaSerializer extends Serializer<StoreMeta> {
    @Override
    public void write(Kryo kryo, Output out, StoreMeta m) {
      out.writeVarLong(m.nextRecord(), true);
      out.writeVarLong(m.nextEntity(), true);
      out.writeVarLong(m.lastTx(), true);
      out.writeVarInt(m.ontologyVersion(), true);
      ResolutionJob job = m.job();
      out.writeBoolean(job != null);
      if (job != null) {
        out.writeVarInt(job.targetVersion(), true);
        out.writeByte(job.state().ordinal());
        out.writeVarLong(job.recordsDone(), true);
        out.writeVarLong(job.recordsTotal(), true);
      }
    }

    @Override
    public StoreMeta read(Kryo kryo, Input in, Class<? extends StoreMeta> type) {
      long nextRecord = in.readVarLong(true);
      long nextEntity = in.readVarLong(true);
      long lastTx = in.readVarLong(true);
      int ontology = in.readVarInt(true);
      ResolutionJob job = null;
      if (in.readBoolean()) {
        int target = in.readVarInt(true);
        ResolutionJob.State state =
            Primitives.enumOf(ResolutionJob.State.values(), in.readByte(), "job state");
        job = new ResolutionJob(target, state, in.readVarLong(true), in.readVarLong(true));
      }
      return new StoreMeta(nextRecord, nextEntity, lastTx, ontology, job);
    }
  }

  static final class EntityRowSerializer extends Serializer<EntityRow> {
    @Override
    public void write(Kryo kryo, Output out, EntityRow r) {
      out.writeByte(r.status().ordinal());
      out.writeString(r.entityType());
      out.writeVarLong(r.mergedInto(), true);
      out.writeVarLong(r.deletedTx(), true);
    }

    @Override
    public EntityRow read(Kryo kryo, Input in, Class<? extends EntityRow> type) {
      EntityRow.Status status =
          Primitives.enumOf(EntityRow.Status.values(), in.readByte(), "entity status");
      return new EntityRow(0, status, in.readString(), in.readVarLong(true), in.readVarLong(true));
    }
  }

  static final class EntityEventSerializer extends Serializer<EntityEvent> {
    @Override
    public void write(Kryo kryo, Output out, EntityEvent e) {
      out.writeVarLong(e.tx(), true);
      out.writeByte(e.kind().ordinal());
      out.writeVarLong(e.entityId(), true);
      Primitives.ids(out, e.relatedIds());
    }

    @Override
    public EntityEvent read(Kryo kryo, Input in, Class<? extends EntityEvent> type) {
      long tx = in.readVarLong(true);
      EntityEvent.Kind kind =
          Primitives.enumOf(EntityEvent.Kind.values(), in.readByte(), "event kind");
      return new EntityEvent(tx, kind, in.readVarLong(true), Primitives.ids(in));
    }
  }

  static final class OntologySerializer extends Serializer<Ontology> {
    @Override
    public void write(Kryo kryo, Output out, Ontology o) {
      out.writeVarInt(o.identityKeys().size(), true);
      for (IdentityKey k : o.identityKeys()) {
        out.writeString(k.name());
        Primitives.strings(out, k.attributes());
        Primitives.strings(out, k.entityTypes());
      }
      out.writeVarInt(o.strongIdentifiers().size(), true);
      for (StrongIdentifier s : o.strongIdentifiers()) {
        out.writeString(s.attribute());
        Primitives.strings(out, s.entityTypes());
      }
      out.writeVarInt(o.constraints().size(), true);
      for (Constraint c : o.constraints()) {
        out.writeString(c.name());
        out.writeString(c.attribute());
        out.writeByte(c.kind() == null ? 0 : c.kind().ordinal() + 1);
        Primitives.strings(out, c.entityTypes());
      }
      out.writeVarInt(o.ignoredValues().size(), true);
      for (IgnoredValues iv : o.ignoredValues()) {
        out.writeString(iv.attribute());
        Primitives.strings(out, iv.values());
        Primitives.strings(out, iv.entityTypes());
      }
    }

    @Override
    public Ontology read(Kryo kryo, Input in, Class<? extends Ontology> type) {
      List<IdentityKey> keys = new ArrayList<>();
      for (int n = in.readVarInt(true); n > 0; n--) {
        keys.add(new IdentityKey(in.readString(), Primitives.strings(in), Primitives.strings(in)));
      }
      List<StrongIdentifier> strong = new ArrayList<>();
      for (int n = in.readVarInt(true); n > 0; n--) {
        strong.add(new StrongIdentifier(in.readString(), Primitives.strings(in)));
      }
      List<Constraint> cons = new ArrayList<>();
      for (int n = in.readVarInt(true); n > 0; n--) {
        String name = in.readString();
        String attr = in.readString();
        int kind = in.readByte();
        ConstraintKind ck =
            kind == 0
                ? null
                : Primitives.enumOf(ConstraintKind.values(), kind - 1, "constraint kind");
        cons.add(new Constraint(name, attr, ck, Primitives.strings(in)));
      }
      List<IgnoredValues> ign = new ArrayList<>();
      for (int n = in.readVarInt(true); n > 0; n--) {
        ign.add(new IgnoredValues(in.readString(), Primitives.strings(in), Primitives.strings(in)));
      }
      return new Ontology(keys, strong, cons, ign);
    }
  }

  static final class DirectSerializer extends Serializer<Direct> {
    @Override
    public void write(Kryo kryo, Output out, Direct d) {
      out.writeString(d.entityType());
      out.writeString(d.attribute());
      Primitives.interval(out, d.interval());
      out.writeVarLong(d.entityId(), true);
      out.writeVarInt(d.values().size(), true);
      for (ValueHolders v : d.values()) {
        out.writeString(v.value());
        Primitives.identities(out, v.holders());
      }
    }

    @Override
    public Direct read(Kryo kryo, Input in, Class<? extends Direct> type) {
      String entityType = in.readString();
      String attr = in.readString();
      var interval = Primitives.interval(in);
      long entity = in.readVarLong(true);
      List<ValueHolders> values = new ArrayList<>();
      for (int n = in.readVarInt(true); n > 0; n--) {
        values.add(new ValueHolders(in.readString(), Primitives.identities(in)));
      }
      return new Direct(entityType, attr, interval, entity, values);
    }
  }

  static final class BlockedMergeSerializer extends Serializer<BlockedMerge> {
    @Override
    public void write(Kryo kryo, Output out, BlockedMerge b) {
      out.writeString(b.entityType());
      out.writeString(b.attribute());
      Primitives.interval(out, b.interval());
      out.writeVarLong(b.entityA(), true);
      out.writeVarLong(b.entityB(), true);
      Primitives.identities(out, b.linkRecords());
      out.writeString(b.key());
      Primitives.strings(out, b.tuple());
      Primitives.interval(out, b.linkInterval());
      out.writeString(b.perspective());
      out.writeString(b.valueA());
      out.writeString(b.valueB());
      Primitives.identities(out, b.conflictRecords());
    }

    @Override
    public BlockedMerge read(Kryo kryo, Input in, Class<? extends BlockedMerge> type) {
      return new BlockedMerge(
          in.readString(),
          in.readString(),
          Primitives.interval(in),
          in.readVarLong(true),
          in.readVarLong(true),
          Primitives.identities(in),
          in.readString(),
          Primitives.strings(in),
          Primitives.interval(in),
          in.readString(),
          in.readString(),
          in.readString(),
          Primitives.identities(in));
    }
  }

  static final class ConstraintSerializer extends Serializer<ConstraintViolation> {
    @Override
    public void write(Kryo kryo, Output out, ConstraintViolation c) {
      out.writeString(c.entityType());
      out.writeString(c.attribute());
      Primitives.interval(out, c.interval());
      out.writeString(c.constraint());
      out.writeByte(c.constraintKind() == null ? 0 : c.constraintKind().ordinal() + 1);
      out.writeString(c.value());
      out.writeString(c.perspective());
      out.writeVarInt(c.entities().size(), true);
      for (EntityHolders e : c.entities()) {
        out.writeVarLong(e.entityId(), true);
        Primitives.identities(out, e.holders());
      }
    }

    @Override
    public ConstraintViolation read(
        Kryo kryo, Input in, Class<? extends ConstraintViolation> type) {
      String entityType = in.readString();
      String attr = in.readString();
      var interval = Primitives.interval(in);
      String constraint = in.readString();
      int kind = in.readByte();
      ConstraintKind ck =
          kind == 0 ? null : Primitives.enumOf(ConstraintKind.values(), kind - 1, "constraint");
      String value = in.readString();
      String perspective = in.readString();
      List<EntityHolders> entities = new ArrayList<>();
      for (int n = in.readVarInt(true); n > 0; n--) {
        entities.add(new EntityHolders(in.readVarLong(true), Primitives.identities(in)));
      }
      return new ConstraintViolation(
          entityType, attr, interval, constraint, ck, value, perspective, entities);
    }
  }
}
