package io.tempora.persistence.export;

import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.store.StoreView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes one shard's Parquet export (STORAGE.md §6.2) from one read view: {@code
 * records-shard-<N>.parquet}, {@code golden-shard-<N>.parquet}, with history {@code
 * versions-shard-<N>.parquet}, then {@code _SUCCESS}. The directory is created by the export and
 * must not exist; if anything fails it is deleted again, so a directory either holds a finished
 * export (with {@code _SUCCESS}) or nothing. Stateless and thread-safe; the caller owns the view.
 */
public final class ShardExport {
  /** Marker file written last. */
  public static final String SUCCESS = "_SUCCESS";

  /** Subdirectory of a shard's data directory holding shard-local exports. */
  public static final String EXPORTS_DIR = "exports";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private ShardExport() {}

  /**
   * Checks an export name: 1 to 128 characters of {@code [A-Za-z0-9._-]}, starting with a letter or
   * digit (so no path separators, no {@code ..}, no hidden names).
   *
   * @throws IllegalArgumentException naming the problem
   */
  public static String checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "export name '"
              + name
              + "' is invalid: use 1-128 of [A-Za-z0-9._-], starting with a letter or digit");
    }
    return name;
  }

  /** The name of an export without one: the UTC time, {@code yyyyMMdd'T'HHmmss'Z'}. */
  public static String defaultName(Clock clock) {
    return STAMP.format(clock.instant());
  }

  /** {@code <dataDir>/exports/<name>} after checking the name. */
  public static Path localDir(Path dataDir, String name) {
    return dataDir.resolve(EXPORTS_DIR).resolve(checkName(name));
  }

  /**
   * Writes the export into {@code dir} (created here; its parent is created if missing).
   *
   * @param view the read view every row comes from; not closed here
   * @param wseq the view's write sequence, if known (recorded in {@code _SUCCESS})
   * @throws PreconditionFailedException if {@code dir} already exists
   * @throws UncheckedIOException if writing fails (the directory is removed)
   */
  public static ExportSummary write(
      StoreView view, OptionalLong wseq, ExportOptions options, Path dir) {
    create(dir);
    try {
      ExportSummary summary = writeFiles(view, wseq, options, dir);
      Path success = dir.resolve(SUCCESS);
      Files.writeString(success, summary.successJson(), StandardOpenOption.CREATE_NEW);
      return summary;
    } catch (IOException e) {
      deleteQuietly(dir, e);
      throw new UncheckedIOException("export to " + dir + " failed: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      deleteQuietly(dir, e);
      throw e;
    }
  }

  private static void create(Path dir) {
    try {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      throw new PreconditionFailedException("export directory " + dir + " already exists");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create export directory " + dir, e);
    }
  }

  private static ExportSummary writeFiles(
      StoreView view, OptionalLong wseq, ExportOptions options, Path dir) {
    int shard = options.shardId();
    long tx = view.meta().lastTx();
    Map<String, Long> rows = new LinkedHashMap<>();
    String records = fileName("records", shard);
    try (ParquetTable t = table(dir, records, ExportSchemas.RECORDS, options)) {
      ExportRows.records(view, r -> t.write(ExportSchemas.group(r, false)));
      rows.put(records, t.rows());
    }
    String golden = fileName("golden", shard);
    try (ParquetTable t = table(dir, golden, ExportSchemas.GOLDEN, options)) {
      ExportRows.golden(view, r -> t.write(ExportSchemas.group(r)));
      rows.put(golden, t.rows());
    }
    if (options.history()) {
      String versions = fileName("versions", shard);
      try (ParquetTable t = table(dir, versions, ExportSchemas.VERSIONS, options)) {
        ExportRows.versions(view, shard, r -> t.write(ExportSchemas.group(r, true)));
        rows.put(versions, t.rows());
      }
    }
    return new ExportSummary(dir, shard, tx, wseq, rows);
  }

  /**
   * Streams the rows of the export to {@code sink} instead of writing files (the caller writes them
   * elsewhere): the same rows, in the same order, from the one view.
   *
   * @return counts per file name as {@link #write} would report them; {@code dir} is null
   */
  public static ExportSummary stream(
      StoreView view, OptionalLong wseq, ExportOptions options, ExportSink sink) {
    int shard = options.shardId();
    long tx = view.meta().lastTx();
    long[] n = new long[3];
    ExportRows.records(
        view,
        r -> {
          sink.record(r);
          n[0]++;
        });
    ExportRows.golden(
        view,
        r -> {
          sink.golden(r);
          n[1]++;
        });
    if (options.history()) {
      ExportRows.versions(
          view,
          shard,
          r -> {
            sink.version(r);
            n[2]++;
          });
    }
    Map<String, Long> rows = new LinkedHashMap<>();
    rows.put(fileName("records", shard), n[0]);
    rows.put(fileName("golden", shard), n[1]);
    if (options.history()) {
      rows.put(fileName("versions", shard), n[2]);
    }
    return new ExportSummary(null, shard, tx, wseq, rows);
  }

  /** {@code <table>-shard-<N>.parquet}. */
  public static String fileName(String table, int shard) {
    return table + "-shard-" + shard + ".parquet";
  }

  private static ParquetTable table(
      Path dir, String name, org.apache.parquet.schema.MessageType schema, ExportOptions o) {
    return ParquetTable.create(dir.resolve(name), schema, o.rowGroupBytes());
  }

  private static void deleteQuietly(Path dir, Throwable cause) {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      cause.addSuppressed(e);
    }
  }
}
