package io.tempora.persistence.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;

/**
 * Reads export files back with parquet's own reader on {@link LocalInputFile} (no Hadoop file
 * system): for tests and checks of small exports, since {@link #rows} holds every row in memory.
 * Stateless.
 */
public final class ParquetFiles {
  private ParquetFiles() {}

  /** Every row of a file, in order (all in memory: small files only). */
  public static List<Group> rows(Path file) {
    try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file))) {
      MessageType schema = r.getFooter().getFileMetaData().getSchema();
      List<Group> out = new ArrayList<>();
      PageReadStore pages;
      while ((pages = r.readNextRowGroup()) != null) {
        RecordReader<Group> rows =
            new ColumnIOFactory()
                .getColumnIO(schema)
                .getRecordReader(pages, new GroupRecordConverter(schema));
        for (long i = 0; i < pages.getRowCount(); i++) {
          out.add(rows.read());
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The footer of a file. */
  public static ParquetMetadata footer(Path file) {
    try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file))) {
      return r.getFooter();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A nullable INT64 column. */
  public static Long longOrNull(Group g, String field) {
    return g.getFieldRepetitionCount(field) == 0 ? null : g.getLong(field, 0);
  }

  /** A nullable string column. */
  public static String stringOrNull(Group g, String field) {
    return g.getFieldRepetitionCount(field) == 0 ? null : g.getString(field, 0);
  }
}
