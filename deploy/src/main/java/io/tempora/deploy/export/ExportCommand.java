package io.tempora.deploy.export;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.deploy.Logging;
import io.tempora.deploy.TemporaCli;
import io.tempora.proto.v1.ExportRequest;
import io.tempora.proto.v1.ExportResponse;
import io.tempora.proto.v1.ExportRowsRequest;
import io.tempora.proto.v1.ExportedFile;
import io.tempora.proto.v1.ShardExportResult;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tempora admin export} (OPERATIONS.md §1): with {@code --out DIR} the rows of every shard
 * stream through the router (ExportRows) and the Parquet files are written into {@code DIR} here;
 * with {@code --shard-local} every shard writes its own files under {@code
 * <data-dir>/exports/<name>/} (Export). Progress per shard goes to stderr, the summary to stdout
 * (JSON with {@code --json}). Exit 0 done; 1 a shard or the router failed (files written here are
 * removed); 2 bad arguments (missing {@code --out}, non-empty {@code DIR}, bad name).
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Parquet export of every shard (STORAGE.md §6.2): records, golden and with --history"
          + " versions files, _SUCCESS last.",
      "Without --shard-local the rows stream through the router and the files are written into"
          + " --out here; with --shard-local each shard writes <data-dir>/exports/<name>/.",
      "Exit status: 0 done, 1 a shard or the router failed, 2 bad arguments."
    })
public final class ExportCommand implements Callable<Integer> {
  @Option(
      names = "--router",
      required = true,
      paramLabel = "HOST:PORT",
      description = "router (or single shard) to export through")
  private String router;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "directory written here (missing or empty); required unless --shard-local")
  private Path out;

  @Option(names = "--history", description = "also export every record version")
  private boolean history;

  @Option(
      names = "--shard-local",
      description = "every shard writes its own files under <data-dir>/exports/<name>/")
  private boolean shardLocal;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "with --shard-local: export directory name (default: the UTC time)")
  private String name = "";

  @Option(names = "--json", description = "print the summary as JSON")
  private boolean json;

  @Override
  public Integer call() {
    Logging.configure("warn", "text", true);
    return run(System.out, System.err);
  }

  int run(PrintStream stdout, PrintStream stderr) {
    if (!shardLocal && out == null) {
      stderr.println("tempora admin export: --out DIR is required (or use --shard-local)");
      return TemporaCli.EXIT_USAGE;
    }
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(router)
            .usePlaintext()
            .maxInboundMessageSize(64 * 1024 * 1024)
            .build();
    try {
      return shardLocal ? shardLocal(channel, stdout, stderr) : streamed(channel, stdout, stderr);
    } catch (StatusRuntimeException e) {
      stderr.println(
          "tempora admin export: "
              + e.getStatus().getCode()
              + ": "
              + e.getStatus().getDescription());
      return switch (e.getStatus().getCode()) {
        case INVALID_ARGUMENT, FAILED_PRECONDITION -> TemporaCli.EXIT_USAGE;
        default -> 1;
      };
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private int shardLocal(ManagedChannel channel, PrintStream stdout, PrintStream stderr) {
    stderr.println("exporting shard-local through " + router + " ...");
    ExportResponse r =
        TemporaServiceGrpc.newBlockingStub(channel)
            .export(ExportRequest.newBuilder().setName(name).setHistory(history).build());
    print(r.getName(), r.getShardsList(), null, stdout);
    return 0;
  }

  private int streamed(ManagedChannel channel, PrintStream stdout, PrintStream stderr) {
    String problem = checkOut(out);
    if (problem != null) {
      stderr.println("tempora admin export: " + problem);
      return TemporaCli.EXIT_USAGE;
    }
    boolean createdDir = !Files.exists(out);
    stderr.println("exporting through " + router + " into " + out.toAbsolutePath() + " ...");
    StreamedExport writer =
        new StreamedExport(
            out,
            StreamedExport.defaultRowGroupBytes(),
            s ->
                stderr.printf(
                    "shard %d: %d rows at tx %d%n",
                    s.getShardId(),
                    s.getFilesList().stream().mapToLong(ExportedFile::getRows).sum(),
                    s.getTx()),
            stderr::println);
    try {
      Files.createDirectories(out);
      List<ShardExportResult> shards =
          writer.write(
              TemporaServiceGrpc.newBlockingStub(channel)
                  .exportRows(ExportRowsRequest.newBuilder().setHistory(history).build()));
      print(null, shards, out, stdout);
      return 0;
    } catch (IOException | RuntimeException e) {
      writer.abort();
      removeWritten(out, createdDir);
      if (e instanceof StatusRuntimeException s) {
        throw s;
      }
      stderr.println("tempora admin export: " + e.getMessage() + " (nothing kept in " + out + ")");
      return 1;
    }
  }

  /** Null if {@code dir} is missing or an empty directory; else what is wrong. */
  static String checkOut(Path dir) {
    if (!Files.exists(dir)) {
      return null;
    }
    if (!Files.isDirectory(dir)) {
      return "--out " + dir + " is not a directory";
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isPresent() ? "--out " + dir + " is not empty" : null;
    } catch (IOException e) {
      return "--out " + dir + " cannot be read: " + e.getMessage();
    }
  }

  /** Removes the files of a failed export (and the directory if this command created it). */
  private static void removeWritten(Path dir, boolean createdDir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        if (createdDir || !p.equals(dir)) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean up " + dir, e);
    }
  }

  private void print(String exportName, List<ShardExportResult> shards, Path dir, PrintStream o) {
    long total =
        shards.stream()
            .flatMap(s -> s.getFilesList().stream())
            .mapToLong(ExportedFile::getRows)
            .sum();
    if (json) {
      JsonObject root = new JsonObject();
      if (exportName != null) {
        root.addProperty("name", exportName);
      }
      if (dir != null) {
        root.addProperty("dir", dir.toAbsolutePath().toString());
      }
      root.addProperty("rows", total);
      JsonArray arr = new JsonArray();
      for (ShardExportResult s : shards) {
        JsonObject js = new JsonObject();
        js.addProperty("shard", s.getShardId());
        js.addProperty("tx", s.getTx());
        if (!s.getDir().isEmpty()) {
          js.addProperty("dir", s.getDir());
        }
        JsonObject files = new JsonObject();
        s.getFilesList().forEach(f -> files.addProperty(f.getName(), f.getRows()));
        js.add("files", files);
        arr.add(js);
      }
      root.add("shards", arr);
      o.println(root);
    } else {
      o.printf(
          "exported %d rows from %d shard(s)%s%n",
          total,
          shards.size(),
          dir != null
              ? " into " + dir.toAbsolutePath()
              : " (shard-local, name " + exportName + ")");
      for (ShardExportResult s : shards) {
        o.printf(
            "  shard %d (tx %d)%s%n",
            s.getShardId(), s.getTx(), s.getDir().isEmpty() ? "" : ": " + s.getDir());
        for (ExportedFile f : s.getFilesList()) {
          o.printf("    %-28s %d rows%n", f.getName(), f.getRows());
        }
      }
      if (dir != null) {
        o.printf("  %-30s 0 rows (entities never span shards)%n", StreamedExport.GOLDEN_MULTI);
      }
    }
    o.flush();
  }
}
