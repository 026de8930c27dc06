package io.tempora.persistence.export;

import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The result of one shard export: where the files are and how many rows each holds.
 *
 * @param dir the export directory; null when the rows were streamed
 * @param shardId the shard id
 * @param tx last transaction in the read view the rows come from
 * @param wseq write sequence of that view, if the store exposes it
 * @param rows rows per file name, in writing order ({@code _SUCCESS} excluded)
 */
public record ExportSummary(
    Path dir, int shardId, long tx, OptionalLong wseq, Map<String, Long> rows) {
  public ExportSummary {
    rows = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(rows));
  }

  /** Rows over all files. */
  public long totalRows() {
    return rows.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The {@code _SUCCESS} document: JSON with shard, tx, wseq (null if unknown) and row counts. */
  public String successJson() {
    StringBuilder b = new StringBuilder("{\"shard\":").append(shardId);
    b.append(",\"tx\":").append(tx);
    b.append(",\"wseq\":").append(wseq.isPresent() ? Long.toString(wseq.getAsLong()) : "null");
    b.append(",\"rows\":{");
    String sep = "";
    for (Map.Entry<String, Long> e : rows.entrySet()) {
      b.append(sep).append('"').append(e.getKey()).append("\":").append(e.getValue());
      sep = ",";
    }
    return b.append("}}\n").toString();
  }
}
