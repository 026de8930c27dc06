package io.tempora.deploy.load;

import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.StrongIdentifier;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generates a {@link WorkloadSpec}'s requests in a fixed order from its seed. Entity {@code n} is
 * the entity first described by operation {@code n}; its values ({@code email}, {@code phone},
 * {@code ssn}, {@code name}) and its bounded interval derive from {@code n} alone, so readers can
 * aim queries at entities without replaying the generator. Memory is bounded by {@code pool}.
 * Thread-safe: {@link #next()} is synchronized.
 */
public final class Workload {
  /** Entity types, chosen by entity number. */
  static final List<String> TYPES = List.of("person", "company");

  /** Length of an entity's bounded interval; starts lie in [0, {@link #TIME_SPAN}). */
  static final long LENGTH = 1_000;

  static final long TIME_SPAN = 10_000;

  /** The bundled ontology: email and phone are identity keys, ssn a strong identifier. */
  public static Ontology ontology() {
    return Ontology.newBuilder()
        .addIdentityKeys(IdentityKey.newBuilder().setName("email_key").addAttributes("email"))
        .addIdentityKeys(IdentityKey.newBuilder().setName("phone_key").addAttributes("phone"))
        .addStrongIdentifiers(StrongIdentifier.newBuilder().setAttribute("ssn"))
        .build();
  }

  /** One request of the workload. */
  public sealed interface Op {
    /** Records or identities it carries. */
    int items();
  }

  /** An Ingest request. */
  public record Upsert(IngestRequest request) implements Op {
    @Override
    public int items() {
      return request.getRecordsCount();
    }
  }

  /** A Delete request. */
  public record Delete(DeleteRequest request) implements Op {
    @Override
    public int items() {
      return request.getIdentitiesCount();
    }
  }

  private enum Shape {
    BOUNDED,
    UNBOUNDED,
    ADJACENT
  }

  private final WorkloadSpec spec;
  private final SplittableRandom random;
  private final long[] entityPool;
  private final long[] recordEntity;
  private final byte[] recordPerspective;
  private long generated;
  private long entities;
  private Op pendingDelete;

  public Workload(WorkloadSpec spec) {
    this.spec = spec;
    this.random = new SplittableRandom(spec.seed());
    this.entityPool = new long[spec.pool()];
    this.recordEntity = new long[spec.pool()];
    this.recordPerspective = new byte[spec.pool()];
  }

  /** The spec. */
  public WorkloadSpec spec() {
    return spec;
  }

  /** The next request, or null when all operations were generated. */
  public synchronized Op next() {
    if (pendingDelete != null) {
      Op d = pendingDelete;
      pendingDelete = null;
      return d;
    }
    if (generated >= spec.records()) {
      return null;
    }
    long first = generated;
    long end = Math.min(spec.records(), first + spec.batch());
    IngestRequest.Builder upserts = IngestRequest.newBuilder();
    DeleteRequest.Builder deletes = DeleteRequest.newBuilder();
    Set<Long> touched = new HashSet<>();
    for (long j = first; j < end; j++) {
      double r = random.nextDouble();
      long earlier = earlierRecord(first);
      if (earlier >= 0 && r < spec.upsert() && touched.add(earlier)) {
        upserts.addRecords(update(earlier, j));
      } else if (earlier >= 0 && r < spec.upsert() + spec.delete() && touched.add(earlier)) {
        deletes.addIdentities(identity(earlier, recordEntity(earlier)));
      } else {
        upserts.addRecords(fresh(j));
      }
    }
    generated = end;
    Op upsert = new Upsert(upserts.build());
    Op delete = deletes.getIdentitiesCount() == 0 ? null : new Delete(deletes.build());
    if (upsert.items() == 0) {
      return delete == null ? next() : delete;
    }
    pendingDelete = delete;
    return upsert;
  }

  /** A record generated before {@code first} still in the pool, or -1. */
  private long earlierRecord(long first) {
    long lo = Math.max(0, first - spec.pool());
    return first == lo ? -1 : lo + random.nextLong(first - lo);
  }

  private long recordEntity(long j) {
    return recordEntity[(int) (j % spec.pool())];
  }

  private io.tempora.proto.v1.Identity identity(long j, long entity) {
    return io.tempora.proto.v1.Identity.newBuilder()
        .setEntityType(type(entity))
        .setPerspective(perspective(recordPerspective[(int) (j % spec.pool())]))
        .setUid(spec.prefix() + "r" + j)
        .build();
  }

  private Record fresh(long j) {
    boolean reused = entities > 0 && random.nextDouble() < spec.overlap();
    long entity;
    int perspective;
    if (reused) {
      entity = entityPool[(int) random.nextLong(Math.min(entities, spec.pool()))];
      perspective = random.nextInt(spec.perspectives());
    } else {
      entity = j;
      perspective = homePerspective(entity);
      entityPool[(int) (entities % spec.pool())] = entity;
      entities++;
    }
    boolean strong = reused && random.nextDouble() < spec.strongConflict();
    if (strong) {
      perspective = homePerspective(entity);
    }
    recordEntity[(int) (j % spec.pool())] = entity;
    recordPerspective[(int) (j % spec.pool())] = (byte) perspective;
    boolean cross = reused && random.nextDouble() < spec.crossKey();
    boolean direct = reused && random.nextDouble() < spec.conflict();
    Interval interval = interval(entity, shape());
    Record.Builder b = Record.newBuilder().setIdentity(identity(j, entity));
    if (!cross) {
      b.addDescriptors(descriptor("email", email(entity), interval));
    }
    if (!reused || cross) {
      b.addDescriptors(descriptor("phone", phone(entity), interval));
    }
    String ssn = strong ? ssn(entity) + "x" + j : ssn(entity);
    b.addDescriptors(descriptor("ssn", ssn, interval));
    b.addDescriptors(descriptor("name", direct ? name(entity) + "c" + j : name(entity), interval));
    return b.build();
  }

  private Record update(long earlier, long j) {
    long entity = recordEntity(earlier);
    Interval interval = interval(entity, Shape.UNBOUNDED);
    return Record.newBuilder()
        .setIdentity(identity(earlier, entity))
        .addDescriptors(descriptor("email", email(entity), interval))
        .addDescriptors(descriptor("ssn", ssn(entity), interval))
        .addDescriptors(descriptor("name", name(entity) + "v" + j, interval))
        .build();
  }

  private Shape shape() {
    WorkloadSpec.Shapes s = spec.shapes();
    double r = random.nextDouble() * (s.bounded() + s.unbounded() + s.adjacent());
    if (r < s.bounded()) {
      return Shape.BOUNDED;
    }
    return r < s.bounded() + s.unbounded() ? Shape.UNBOUNDED : Shape.ADJACENT;
  }

  private static Interval interval(long entity, Shape shape) {
    long start = start(entity);
    return switch (shape) {
      case BOUNDED -> Interval.newBuilder().setStart(start).setEnd(start + LENGTH).build();
      case UNBOUNDED -> Interval.getDefaultInstance();
      case ADJACENT ->
          Interval.newBuilder().setStart(start + LENGTH).setEnd(start + 2 * LENGTH).build();
    };
  }

  private static Descriptor descriptor(String attr, String value, Interval interval) {
    Descriptor.Builder b = Descriptor.newBuilder().setAttr(attr).setValue(value);
    return interval.hasStart() ? b.setInterval(interval).build() : b.build();
  }

  private int homePerspective(long entity) {
    return (int) (entity % spec.perspectives());
  }

  private static String perspective(int p) {
    return "src" + p;
  }

  /** Start of entity {@code n}'s bounded interval. */
  static long start(long entity) {
    return Math.floorMod(entity * 7919, TIME_SPAN);
  }

  static String type(long entity) {
    return TYPES.get((int) (entity % TYPES.size()));
  }

  /** The email of entity {@code n} (a hot value for some records; see {@link #fresh}). */
  String email(long entity) {
    if (spec.hotKeyRate() > 0 && mix(entity, 1) < spec.hotKeyRate()) {
      return spec.prefix() + "hot" + (entity % spec.hotKeys()) + "@example.org";
    }
    return spec.prefix() + "e" + keyed(entity) + "@example.org";
  }

  String phone(long entity) {
    return spec.prefix() + "+1-555-" + keyed(entity);
  }

  String ssn(long entity) {
    return spec.prefix() + "ssn" + entity;
  }

  String name(long entity) {
    return spec.prefix() + "name" + entity;
  }

  private long keyed(long entity) {
    return spec.keyCardinality() == 0 ? entity : entity % spec.keyCardinality();
  }

  /** A deterministic number in [0, 1) from an entity and a salt (so readers agree with writers). */
  private double mix(long entity, long salt) {
    long z = entity * 0x9E3779B97F4A7C15L + salt + spec.seed();
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53;
  }
}
