package io.tempora.persistence;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A finished checkpoint: its directory and the exact state it holds.
 *
 * @param dir {@code <data-dir>/checkpoints/<tx>-<utc>}, holding {@code db/}, {@code ACKED} and
 *     {@code CHECKPOINT}
 * @param tx the last transaction included
 * @param wseq the last write sequence number included
 * @param utc when it was taken (second precision)
 */
public record CheckpointInfo(Path dir, long tx, long wseq, Instant utc) {}
