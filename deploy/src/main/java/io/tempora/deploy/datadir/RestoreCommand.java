package io.tempora.deploy.datadir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tempora.deploy.Logging;
import io.tempora.engine.store.StoreException;
import io.tempora.persistence.rocks.ShardCheckpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tempora admin restore --from CKPT --data-dir DIR} (OPERATIONS.md §1, offline): copies a
 * checkpoint ({@code <data-dir>/checkpoints/<tx>-<utc>}) into a new, empty data directory that a
 * shard with the same id then opens. Exit 0 restored; 2 bad arguments (not a checkpoint, target not
 * empty); 1 the copy failed.
 */
@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    description = {
      "Copies a checkpoint into a new, empty data directory (offline; the source shard may keep"
          + " running). Start a shard with the checkpoint's shard id on it.",
      "Exit status: 0 restored, 1 the copy failed, 2 not a checkpoint or target not empty."
    })
public final class RestoreCommand implements Callable<Integer> {
  @Option(
      names = {"--from", "--checkpoint"},
      required = true,
      paramLabel = "CKPT",
      description = "checkpoint directory, <data-dir>/checkpoints/<tx>-<utc>")
  private Path from;

  @Option(
      names = "--data-dir",
      required = true,
      paramLabel = "DIR",
      description = "new data directory; must be missing or empty")
  private Path dataDir;

  @Override
  public Integer call() {
    Logging.configure("warn", "text", true);
    return run(from, dataDir, System.out, System.err);
  }

  /** Restores {@code from} into {@code dataDir}; prints what it did or why not; the exit status. */
  static int run(Path from, Path dataDir, PrintStream out, PrintStream err) {
    try {
      ShardCheckpoints.restore(from, dataDir);
    } catch (IllegalArgumentException e) {
      err.println("tempora admin restore: " + e.getMessage());
      return 2;
    } catch (StoreException e) {
      err.println("tempora admin restore: " + e.getMessage());
      return 1;
    }
    JsonObject marker = marker(from);
    String shard = marker.has("shard") ? marker.get("shard").getAsString() : "?";
    String tx = marker.has("tx") ? marker.get("tx").getAsString() : "?";
    out.printf(
        "restored checkpoint %s (shard %s, tx %s) into %s%n"
            + "start it with: bin/shard --listen HOST:PORT --shard-id %s --data-dir %s%n",
        from, shard, tx, dataDir, shard, dataDir);
    out.flush();
    return 0;
  }

  /** The checkpoint's CHECKPOINT marker; restore has already checked that it exists. */
  private static JsonObject marker(Path checkpoint) {
    try {
      String json =
          Files.readString(checkpoint.resolve(ShardCheckpoints.MARKER), StandardCharsets.UTF_8);
      return JsonParser.parseString(json).getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      return new JsonObject();
    }
  }
}
