package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STORAGE.md ST-T2: a child JVM ({@link StraceWriterMain}) runs under {@code strace -f -y}. Each
 * acknowledgement must follow a WAL write and then a WAL fsync ({@code fdatasync}/{@code fsync} on
 * a {@code .log} file) that both started after the request was submitted and the fsync finished
 * before the ack; 64 concurrent writers share WAL fsyncs, counted from the trace and from {@code
 * WalSyncer}'s statistics. With {@code storage.group_commit_max_wait_us} = 20000 they average at
 * least 4 requests per syncer fsync (the trace's ratio also counts RocksDB's own WAL syncs at WAL
 * switches and is printed); with the default 0 the figures are only printed (about 1.3–2.8 under
 * strace here, whose ptrace stops make every syscall of the JVM slow; about 6 without strace, see
 * docs/storage.md). "A single writer gets no added delay" is {@code
 * WalSyncerTest.immediate_loneWriterWithGroupCommitWait_neverWaits}. Skipped with the reason when
 * strace cannot trace here.
 */
class WalFsyncStraceIT {
  private static final int WRITERS = 64;
  private static final int REQUESTS = 10;
  private static final Pattern MARK =
      Pattern.compile("^(\\d+) +write\\(\\d+<[^>]*markers>, \"([AB]) (\\d+) (\\d+)\\\\n\"");
  private static final Pattern WAL_SYNC_START =
      Pattern.compile("^\\d+ +f(data)?sync\\(\\d+<[^>]*\\.log>");
  private static final Pattern WAL_SYNC_END =
      Pattern.compile(
          "^\\d+ +(<\\.\\.\\. f(data)?sync resumed>|f(data)?sync\\(\\d+<[^>]*\\.log>).*= 0");
  private static final Pattern WAL_WRITE = Pattern.compile("^\\d+ +write\\(\\d+<[^>]*\\.log>");

  @TempDir Path dir;

  /** Requests per WAL fsync, from the trace and from the syncer's counters. */
  private record Sharing(double perTraceSync, double perSyncerSync) {}

  @Test
  @DisplayName("ST-T2: default config: every immediate ack follows a WAL fsync; fsyncs are shared")
  void immediateAcks_defaultConfig_followAWalFsyncAndShareThem() throws Exception {
    // The ordering of every ack after its WAL fsync is asserted inside runUnderStrace. Without a
    // group-commit wait how many requests share an fsync depends on scheduling (0.8-2.8 by the
    // trace on this shared machine), so the figures are only printed.
    Sharing s = runUnderStrace(0);
    assertThat(s.perSyncerSync()).as("requests per syncer fsync").isPositive();
  }

  @Test
  @DisplayName(
      "ST-T2: group_commit_max_wait_us 20000: every ack follows a WAL fsync; >= 4 requests each")
  void immediateAcks_groupCommitWait_followAWalFsyncAndAverageFourPerFsync() throws Exception {
    Sharing s = runUnderStrace(20_000);
    // The syncer's fsyncs are the ones that acknowledge requests. The trace also counts WAL syncs
    // RocksDB issues itself when it switches WAL files at memtable flushes (more column families,
    // more flushes), so its ratio is printed, not asserted.
    assertThat(s.perSyncerSync()).as("requests per syncer fsync").isGreaterThanOrEqualTo(4.0);
  }

  private Sharing runUnderStrace(long maxWaitMicros) throws Exception {
    Path run = dir.resolve("wait-" + maxWaitMicros);
    Path trace = run.resolve("trace.txt");
    Files.createDirectories(run);
    Process p =
        new ProcessBuilder(
                "strace",
                "-f",
                "-y",
                "-qq",
                "-e",
                "trace=write,fsync,fdatasync",
                "-o",
                trace.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                StraceWriterMain.class.getName(),
                run.resolve("data").toString(),
                run.resolve("markers").toString(),
                Integer.toString(WRITERS),
                Integer.toString(REQUESTS),
                Long.toString(maxWaitMicros))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    Assumptions.assumeTrue(
        rc == 0 || !out.contains("ptrace"), "ST-T2 skipped: strace cannot trace here: " + out);
    assertThat(rc).as(out).isZero();
    Matcher done = Pattern.compile("DONE (\\d+) (\\d+) (\\d+) (\\d+)").matcher(out);
    assertThat(done.find()).as(out).isTrue();
    long requests = Long.parseLong(done.group(1));
    long syncerSyncs = Long.parseLong(done.group(2));
    long syncedCommits = Long.parseLong(done.group(3));
    long waits = Long.parseLong(done.group(4));
    assertThat(syncedCommits).as("commits made durable by the syncer").isEqualTo(requests);
    long walSyncs = checkTrace(Files.readAllLines(trace, StandardCharsets.UTF_8), requests);
    Sharing s = new Sharing((double) requests / walSyncs, (double) requests / syncerSyncs);
    System.out.printf(
        "ST-T2 (group_commit_max_wait_us %d): %d requests, %d WAL fsyncs in the trace (%.1f"
            + " requests each), %d syncer fsyncs (%.1f each), %d held back to gather%n",
        maxWaitMicros, requests, walSyncs, s.perTraceSync(), syncerSyncs, s.perSyncerSync(), waits);
    return s;
  }

  /** Checks every ack against the trace; returns the number of WAL fsyncs in it. */
  private static long checkTrace(List<String> lines, long requests) {
    Map<String, Integer> begun = new HashMap<>();
    TreeSet<Integer> walWrites = new TreeSet<>();
    TreeSet<Integer> syncStarts = new TreeSet<>();
    Map<Integer, Integer> syncEndByStart = new HashMap<>();
    Map<String, Integer> pendingStart = new HashMap<>();
    long acks = 0;
    long walSyncs = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String pid = line.split(" ", 2)[0];
      Matcher m = MARK.matcher(line);
      if (m.find()) {
        String req = m.group(3) + " " + m.group(4);
        if (m.group(2).equals("B")) {
          begun.put(req, i);
        } else {
          acks++;
          assertAckFollowsSync(req, begun.get(req), i, walWrites, syncStarts, syncEndByStart);
        }
        continue;
      }
      if (WAL_WRITE.matcher(line).find()) {
        walWrites.add(i);
      }
      if (WAL_SYNC_START.matcher(line).find()) {
        walSyncs++;
        syncStarts.add(i);
        if (line.contains("<unfinished ...>")) {
          pendingStart.put(pid, i);
        } else {
          syncEndByStart.put(i, i);
        }
      } else if (WAL_SYNC_END.matcher(line).find() && pendingStart.containsKey(pid)) {
        syncEndByStart.put(pendingStart.remove(pid), i);
      }
    }
    assertThat(acks).isEqualTo(requests);
    assertThat(walSyncs).as("WAL fsyncs in the trace").isPositive();
    return walSyncs;
  }

  /** Some WAL write after B, then a WAL fsync started after that write and finished before A. */
  private static void assertAckFollowsSync(
      String req,
      Integer begin,
      int ack,
      TreeSet<Integer> walWrites,
      TreeSet<Integer> syncStarts,
      Map<Integer, Integer> syncEndByStart) {
    assertThat(begin).as("request %s begun before its ack", req).isNotNull();
    Integer write = walWrites.higher(begin);
    assertThat(write).as("request %s: a WAL write after submission", req).isNotNull();
    boolean ok = false;
    for (Integer s = syncStarts.higher(write); s != null && s < ack; s = syncStarts.higher(s)) {
      Integer end = syncEndByStart.get(s);
      if (end != null && end < ack) {
        ok = true;
        break;
      }
    }
    assertThat(ok)
        .as(
            "request %s (lines %d..%d): a WAL fsync after its WAL write finished first",
            req, begin, ack)
        .isTrue();
  }
}
