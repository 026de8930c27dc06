package io.tempora.persistence.rocks;

import io.tempora.engine.model.Identity;
import io.tempora.engine.store.StoreTxn;
import io.tempora.persistence.StorageConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Child JVM of {@link WalFaultIT} (STORAGE.md ST-T4): commits {@code first} transactions in {@code
 * immediate} mode (wseq 1..first, one identity {@code u<wseq>} each), prints the WAL file and its
 * length at that boundary, commits {@code more} transactions and halts without closing, so the WAL
 * holds every write and nothing was flushed.
 *
 * <p>Arguments: data dir, first, more.
 */
public final class WalWriterMain {
  private WalWriterMain() {}

  public static void main(String[] args) throws IOException {
    Path data = Path.of(args[0]);
    int first = Integer.parseInt(args[1]);
    int more = Integer.parseInt(args[2]);
    RocksShardStore store = RocksShardStore.open(data, StorageConfig.defaults(0));
    for (int i = 1; i <= first + more; i++) {
      try (StoreTxn t = store.begin()) {
        t.putIdentity(Identity.of("person", "crm", "u" + i), i);
        t.commit().awaitDurable();
      }
      if (i == first) {
        Path wal = wal(data);
        System.out.println("WAL " + wal.getFileName() + " " + Files.size(wal));
      }
    }
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }

  /** The data dir's one WAL file. */
  static Path wal(Path data) throws IOException {
    try (Stream<Path> files = Files.list(data.resolve("db"))) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".log"))
          .reduce((a, b) -> a.getFileName().compareTo(b.getFileName()) > 0 ? a : b)
          .orElseThrow(() -> new IllegalStateException("no WAL in " + data));
    }
  }
}
