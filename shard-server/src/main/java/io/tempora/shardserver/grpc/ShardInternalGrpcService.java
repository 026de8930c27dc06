package io.tempora.shardserver.grpc;

import io.grpc.stub.StreamObserver;
import io.tempora.engine.Engine;
import io.tempora.engine.Reader;
import io.tempora.engine.model.Identity;
import io.tempora.persistence.HomeDirectory;
import io.tempora.proto.internal.v1.HomeClaim;
import io.tempora.proto.internal.v1.HomeMove;
import io.tempora.proto.internal.v1.HomeSlot;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsResponse;
import io.tempora.proto.internal.v1.ResolveHomesRequest;
import io.tempora.proto.internal.v1.ResolveHomesResponse;
import io.tempora.proto.internal.v1.SetHomesRequest;
import io.tempora.proto.internal.v1.SetHomesResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Record;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The implemented part of the internal {@code tempora.internal.v1.Shard} service: the identity
 * directory (ResolveHomes, SetHomes) and the live-record listing reconciliation reads
 * (ListLiveRecords). Other methods answer UNIMPLEMENTED. Thread-safe.
 */
public final class ShardInternalGrpcService extends ShardGrpc.ShardImplBase {
  private static final int DEFAULT_PAGE = 1000;
  private static final int MAX_PAGE = 10_000;

  private final Engine engine;
  private final HomeDirectory directory;

  /**
   * @param engine the shard's engine (records are listed from it)
   * @param directory this shard's part of the identity directory; not owned
   */
  public ShardInternalGrpcService(Engine engine, HomeDirectory directory) {
    this.engine = engine;
    this.directory = directory;
  }

  /**
   * The directory key of an identity: each of entity type, perspective and uid as its UTF-8 length
   * (4 bytes, big-endian) and bytes.
   */
  public static byte[] key(io.tempora.proto.v1.Identity id) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String s : List.of(id.getEntityType(), id.getPerspective(), id.getUid())) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      out.write(b.length >>> 24);
      out.write(b.length >>> 16);
      out.write(b.length >>> 8);
      out.write(b.length);
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  @Override
  public void resolveHomes(ResolveHomesRequest request, StreamObserver<ResolveHomesResponse> out) {
    Calls.unary(
        out,
        () -> {
          int n = request.getClaimsCount();
          byte[][] keys = new byte[n][];
          int[] proposed = new int[n];
          for (int i = 0; i < n; i++) {
            HomeClaim c = request.getClaims(i);
            if (!c.hasIdentity()) {
              throw new IllegalArgumentException("claim " + i + ": identity must be set");
            }
            keys[i] = key(c.getIdentity());
            proposed[i] = c.hasProposedSlot() ? c.getProposedSlot() : HomeDirectory.ABSENT;
          }
          int[] homes = directory.claim(keys, proposed);
          ResolveHomesResponse.Builder b = ResolveHomesResponse.newBuilder();
          for (int h : homes) {
            b.addHomes(slot(h));
          }
          return b.build();
        });
  }

  private static HomeSlot slot(int h) {
    return h == HomeDirectory.ABSENT
        ? HomeSlot.getDefaultInstance()
        : HomeSlot.newBuilder().setSlot(h).build();
  }

  @Override
  public void setHomes(SetHomesRequest request, StreamObserver<SetHomesResponse> out) {
    Calls.unary(
        out,
        () -> {
          SetHomesResponse.Builder b = SetHomesResponse.newBuilder();
          for (HomeMove m : request.getMovesList()) {
            b.addHomes(
                slot(
                    directory.compareAndSet(
                        key(m.getIdentity()), m.getExpectedSlot(), m.getNewSlot())));
          }
          return b.build();
        });
  }

  @Override
  public void listLiveRecords(
      ListLiveRecordsRequest request, StreamObserver<ListLiveRecordsResponse> out) {
    Calls.unary(
        out,
        () -> {
          int size = request.getPageSize();
          if (size > MAX_PAGE) {
            throw new IllegalArgumentException("page_size: " + size + " must be in 1.." + MAX_PAGE);
          }
          Reader reader = engine.reader();
          List<Reader.EntitySummary> page =
              reader.listEntities(request.getAfterEntityId(), size == 0 ? DEFAULT_PAGE : size);
          ListLiveRecordsResponse.Builder b = ListLiveRecordsResponse.newBuilder();
          for (Reader.EntitySummary e : page) {
            for (Identity id : e.members()) {
              var r = ResponseMapper.record(reader.getRecord(id));
              b.addRecords(
                  Record.newBuilder()
                      .setIdentity(ResponseMapper.identity(id))
                      .addAllDescriptors(r.getDescriptorsList()));
            }
          }
          if (page.size() == (size == 0 ? DEFAULT_PAGE : size)) {
            b.setNextAfterEntityId(page.getLast().entityId());
          }
          return b.build();
        });
  }
}
