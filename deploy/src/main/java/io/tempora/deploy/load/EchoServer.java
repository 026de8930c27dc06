package io.tempora.deploy.load;

import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.IngestRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The {@code grpc-echo} baseline: a tiny loopback gRPC service whose one method takes an {@link
 * IngestRequest} (parsed like the real one) and answers an empty message at once. Its round trip is
 * what the transport and (de)serialization of a batch cost without Tempora. The creator closes it;
 * thread-safe.
 */
final class EchoServer implements AutoCloseable {
  static final MethodDescriptor<IngestRequest, GetStatsRequest> ECHO =
      MethodDescriptor.<IngestRequest, GetStatsRequest>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("tempora.load.Echo", "Echo"))
          .setRequestMarshaller(ProtoUtils.marshaller(IngestRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(GetStatsRequest.getDefaultInstance()))
          .build();

  private final Server server;

  private EchoServer(Server server) {
    this.server = server;
  }

  /** Starts the echo service on a free loopback port. */
  static EchoServer start() {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("tempora.load.Echo")
            .addMethod(
                ECHO,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext(GetStatsRequest.getDefaultInstance());
                      response.onCompleted();
                    }))
            .build();
    try {
      return new EchoServer(
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .maxInboundMessageSize(64 * 1024 * 1024)
              .addService(service)
              .build()
              .start());
    } catch (IOException e) {
      throw new UncheckedIOException("start the echo baseline server", e);
    }
  }

  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  /** One round trip of a request on a channel to this server. */
  static void echo(ManagedChannel channel, IngestRequest request, long deadlineMs) {
    ClientCalls.blockingUnaryCall(
        channel,
        ECHO,
        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS),
        request);
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
