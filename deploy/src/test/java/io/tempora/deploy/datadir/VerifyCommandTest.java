package io.tempora.deploy.datadir;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.deploy.TemporaCli;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksShardStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tempora verify --data-dir DIR}: report on stdout and exit 0 for a clean data dir, 1 for a
 * damaged one (a corrupted SST block, a deleted ACKED file), 2 with the reason on stderr when the
 * check cannot run (missing or foreign directory).
 */
class VerifyCommandTest {
  @TempDir Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void verify_cleanDataDir_printsCleanAndExitsZero() {
    Path data = shardWithRecords(tmp.resolve("data"));

    int code = run(data);

    assertThat(code).as("stderr:\n%s", text(err)).isZero();
    assertThat(text(out)).contains("verify " + data).contains("clean");
    assertThat(TemporaCli.commandLine().execute("verify", "--data-dir", data.toString()))
        .as("through the launcher's command line")
        .isZero();
  }

  @Test
  void verify_corruptedSstBlock_reportsChecksumMismatchAndExitsOne() throws IOException {
    Path data = shardWithRecords(tmp.resolve("data"));
    try (RandomAccessFile f = new RandomAccessFile(largestSst(data).toFile(), "rw")) {
      // Bytes inside the first data block: its checksum no longer matches.
      for (long at = 16; at < 48; at++) {
        f.seek(at);
        int b = f.read();
        f.seek(at);
        f.write(b ^ 0xff);
      }
    }

    int code = run(data);

    assertThat(code).as("stdout:\n%s\nstderr:\n%s", text(out), text(err)).isEqualTo(1);
    assertThat(text(out)).contains("SST checksum mismatch").contains("problem(s)");
    assertThat(TemporaCli.commandLine().execute("verify", "--data-dir", data.toString()))
        .isEqualTo(1);
  }

  @Test
  void verify_ackedFileDeleted_reportsItAndExitsOne() throws IOException {
    Path data = shardWithRecords(tmp.resolve("data"));
    Files.delete(data.resolve("ACKED"));

    int code = run(data);

    assertThat(code).as("stdout:\n%s\nstderr:\n%s", text(out), text(err)).isEqualTo(1);
    assertThat(text(out)).contains("ACKED missing");
  }

  @Test
  void verify_missingOrForeignDir_exitsTwoNamingTheReason() throws IOException {
    assertThat(run(tmp.resolve("nowhere"))).isEqualTo(2);
    assertThat(text(err)).contains("could not run").contains("does not exist");

    Path foreign = tmp.resolve("foreign");
    Files.createDirectories(foreign.resolve("db"));
    Files.writeString(foreign.resolve("db").resolve("notes.txt"), "not rocks");
    err.reset();
    assertThat(run(foreign)).isEqualTo(2);
    assertThat(text(err)).contains("not a Tempora data dir");
    assertThat(text(out)).isEmpty();
  }

  private int run(Path data) {
    return VerifyCommand.run(
        data,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static String text(ByteArrayOutputStream b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  /** A closed shard data dir holding 200 records (closing flushes them into SST files). */
  private static Path shardWithRecords(Path data) {
    try (RocksShardStore store =
        RocksShardStore.open(data, StorageConfig.defaults(0).withSmallCaches())) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      List<RecordInput> records =
          IntStream.range(0, 200)
              .mapToObj(
                  i ->
                      new RecordInput(
                          Identity.of("person", "crm", "r" + i),
                          List.of(Descriptor.always("email", "e" + (i % 50) + "@x"))))
              .toList();
      engine.upsert(records);
    }
    return data;
  }

  private static Path largestSst(Path data) throws IOException {
    try (Stream<Path> s = Files.list(data.resolve("db"))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".sst"))
          .max(Comparator.comparingLong(p -> p.toFile().length()))
          .orElseThrow(() -> new AssertionError("no SST file in " + data.resolve("db")));
    }
  }
}
