package io.tempora.persistence.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;

/**
 * One Parquet file being written: Snappy, row groups of at most the configured size, no Hadoop file
 * system ({@link LocalOutputFile} with a {@link PlainParquetConfiguration}). The writer buffers one
 * row group in memory, so memory is bounded by the row group size, not by the row count. Not
 * thread-safe; the opener closes it, which writes the footer.
 */
public final class ParquetTable implements AutoCloseable {
  private final Path file;
  private final ParquetWriter<Group> writer;
  private long rows;

  private ParquetTable(Path file, ParquetWriter<Group> writer) {
    this.file = file;
    this.writer = writer;
  }

  /**
   * Creates {@code file}, which must not exist.
   *
   * @param rowGroupBytes upper bound of a row group's size in bytes
   */
  public static ParquetTable create(Path file, MessageType schema, long rowGroupBytes) {
    try {
      ParquetWriter<Group> w =
          ExampleParquetWriter.builder(new LocalOutputFile(file))
              .withConf(new PlainParquetConfiguration())
              .withType(schema)
              .withCompressionCodec(CompressionCodecName.SNAPPY)
              .withRowGroupSize(rowGroupBytes)
              .withWriteMode(ParquetFileWriter.Mode.CREATE)
              .build();
      return new ParquetTable(file, w);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file, e);
    }
  }

  /** Appends one row. */
  public void write(Group row) {
    try {
      writer.write(row);
      rows++;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Rows written so far. */
  public long rows() {
    return rows;
  }

  /** The file. */
  public Path file() {
    return file;
  }

  @Override
  public void close() {
    try {
      writer.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot finish " + file, e);
    }
  }
}
