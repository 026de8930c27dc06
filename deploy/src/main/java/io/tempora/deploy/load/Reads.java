package io.tempora.deploy.load;

import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.ConflictFilter;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Read requests aimed at the data a {@link Workload} wrote: entity {@code n}'s values are known
 * from {@code n} alone, so queries pick entity numbers below the number of records written.
 * Thread-safe: {@link #next()} is synchronized.
 */
final class Reads {
  /** The read modes. */
  enum Mode {
    /** QueryEntities on one email at one instant inside the entity's interval. */
    POINT,
    /** QueryEntities on email AND ssn over the entity's whole bounded interval. */
    WINDOW,
    /** GetEntity of an id seen through ListEntities. */
    ENTITY,
    /** The first page (100) of ListConflicts over a random window of length 1000. */
    CONFLICTS
  }

  private final Mode mode;
  private final Workload names;
  private final long space;
  private final long count;
  private final List<Long> entityIds;
  private final SplittableRandom random;
  private long issued;

  private Reads(Mode mode, Workload names, long space, long count, List<Long> ids, long seed) {
    this.mode = mode;
    this.names = names;
    this.space = Math.max(1, space);
    this.count = count;
    this.entityIds = ids;
    this.random = new SplittableRandom(seed);
  }

  /**
   * Reads of one mode.
   *
   * @param names the workload whose values to ask for (only its naming functions are used)
   * @param space entity numbers are drawn from [0, space)
   * @param count how many requests
   */
  static Reads of(
      Mode mode,
      Workload names,
      long space,
      long count,
      Supplier<TemporaServiceBlockingStub> stub) {
    List<Long> ids = mode == Mode.ENTITY ? sampleEntityIds(stub, 10_000) : List.of();
    if (mode == Mode.ENTITY && ids.isEmpty()) {
      throw new IllegalStateException("get-entity reads need entities, and the target has none");
    }
    return new Reads(mode, names, space, count, ids, names.spec().seed() * 31 + mode.ordinal());
  }

  /** Up to {@code max} active entity ids from the first pages of ListEntities. */
  private static List<Long> sampleEntityIds(Supplier<TemporaServiceBlockingStub> stub, int max) {
    List<Long> ids = new ArrayList<>();
    long after = 0;
    do {
      ListEntitiesResponse page =
          stub.get()
              .listEntities(
                  ListEntitiesRequest.newBuilder().setAfterId(after).setPageSize(1000).build());
      page.getEntitiesList().forEach(e -> ids.add(e.getEntityId()));
      after = page.getNextAfterId();
    } while (after != 0 && ids.size() < max);
    return ids;
  }

  /** The next request (a protobuf message), or null after {@code count}. */
  synchronized Object next() {
    if (issued >= count) {
      return null;
    }
    issued++;
    long n = random.nextLong(space);
    long start = Workload.start(n);
    return switch (mode) {
      case POINT ->
          QueryEntitiesRequest.newBuilder()
              .addDescriptors(av("email", names.email(n)))
              .setWindow(window(start + Workload.LENGTH / 2, 1))
              .build();
      case WINDOW ->
          QueryEntitiesRequest.newBuilder()
              .addDescriptors(av("email", names.email(n)))
              .addDescriptors(av("ssn", names.ssn(n)))
              .setWindow(window(start, Workload.LENGTH))
              .build();
      case ENTITY ->
          GetEntityRequest.newBuilder()
              .setEntityId(entityIds.get(random.nextInt(entityIds.size())))
              .build();
      case CONFLICTS ->
          ListConflictsRequest.newBuilder()
              .setFilter(
                  ConflictFilter.newBuilder()
                      .setWindow(window(random.nextLong(Workload.TIME_SPAN), Workload.LENGTH)))
              .setPageSize(100)
              .build();
    };
  }

  /** Sends one request made by {@link #next()}. */
  static void execute(TemporaServiceBlockingStub stub, Object request) {
    switch (request) {
      case QueryEntitiesRequest q -> stub.queryEntities(q);
      case GetEntityRequest g -> stub.getEntity(g);
      case ListConflictsRequest l -> stub.listConflicts(l);
      default -> throw new IllegalArgumentException("not a read request: " + request);
    }
  }

  private static AttrValue av(String attr, String value) {
    return AttrValue.newBuilder().setAttr(attr).setValue(value).build();
  }

  private static Interval window(long start, long length) {
    return Interval.newBuilder().setStart(start).setEnd(start + length).build();
  }
}
