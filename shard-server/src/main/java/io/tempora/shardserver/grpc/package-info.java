/**
 * The gRPC face of one shard: {@link io.tempora.shardserver.grpc.TemporaGrpcService} serves the
 * public {@code tempora.v1.TemporaService} over an engine, {@link
 * io.tempora.shardserver.grpc.RequestMapper} and {@link io.tempora.shardserver.grpc.ResponseMapper}
 * translate messages to and from the domain, and {@link io.tempora.shardserver.grpc.Statuses} is
 * the one place where exceptions become gRPC statuses.
 */
package io.tempora.shardserver.grpc;
