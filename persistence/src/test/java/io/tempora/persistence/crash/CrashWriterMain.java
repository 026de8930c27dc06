package io.tempora.persistence.crash;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksShardStore;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

/**
 * The child JVM of {@link CrashLoopIT} (STORAGE.md ST-T1): opens the store in {@code immediate}
 * mode and runs writer threads until it is killed. Each thread logs {@code B cycle thread n
 * request} to the side file before submitting request n and {@code A cycle thread n} after the
 * engine acknowledged it; each line is one unbuffered {@code write}, so the page cache holds it
 * across a SIGKILL (the test kills the process, not the machine: no fsync needed). An ack line is
 * also printed on stdout for the parent to count.
 *
 * <p>Arguments: data dir, side file, cycle, threads, seed.
 */
public final class CrashWriterMain {
  private final FileOutputStream side;
  private final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  private CrashWriterMain(FileOutputStream side) {
    this.side = side;
  }

  public static void main(String[] args) throws IOException {
    Path data = Path.of(args[0]);
    int cycle = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    long seed = Long.parseLong(args[4]);
    StorageConfig config =
        StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.IMMEDIATE);
    RocksShardStore store = RocksShardStore.open(data, config);
    Engine engine = new Engine(store, EngineConfig.defaults());
    engine.setOntology(CrashWorkload.ONTOLOGY, null);
    // The previous cycle was killed, maybe in the middle of a line: end that torn line first, then
    // mark where this cycle starts, so the checker can tell a torn tail from a bad line.
    java.nio.file.Path sidePath = java.nio.file.Path.of(args[1]);
    boolean torn = false;
    if (java.nio.file.Files.exists(sidePath) && java.nio.file.Files.size(sidePath) > 0) {
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(sidePath.toFile(), "r")) {
        f.seek(f.length() - 1);
        torn = f.read() != '\n';
      }
    }
    CrashWriterMain main = new CrashWriterMain(new FileOutputStream(args[1], true));
    main.log((torn ? "\n" : "") + "S " + cycle);
    main.out.println("READY");
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread w =
          new Thread(
              () -> main.write(engine, cycle, thread, new Random(seed * 1_000 + thread)),
              "tempora-persistence-crashwriter-" + t);
      w.start();
    }
  }

  private void write(Engine engine, int cycle, int thread, Random rnd) {
    String prefix = "c" + cycle + "t" + thread + "u";
    try {
      for (int n = 1; ; n++) {
        CrashWorkload.Request r = CrashWorkload.Request.random(rnd, prefix);
        log("B " + cycle + " " + thread + " " + n + " " + r.encode());
        r.applyTo(engine);
        log("A " + cycle + " " + thread + " " + n);
        out.println("A");
      }
    } catch (RuntimeException | IOException e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  private synchronized void log(String line) throws IOException {
    side.write((line + "\n").getBytes(StandardCharsets.UTF_8));
  }
}
