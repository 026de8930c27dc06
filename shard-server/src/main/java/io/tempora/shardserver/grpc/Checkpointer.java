package io.tempora.shardserver.grpc;

import io.tempora.persistence.CheckpointInfo;

/**
 * Takes a checkpoint of a shard's store on request: the body of the Checkpoint RPC. The process
 * that owns the store implements it (serialising it with scheduled checkpoints and counting it in
 * the metrics). Implementations are thread-safe.
 */
@FunctionalInterface
public interface Checkpointer {
  /**
   * Takes a checkpoint now; every write acknowledged before the call is in it.
   *
   * @return the finished checkpoint
   * @throws io.tempora.engine.store.StoreException if it failed (UNAVAILABLE to the client)
   */
  CheckpointInfo checkpointNow();
}
