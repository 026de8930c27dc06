// Launch-to-first-answer timer for a shard process (ST-T6 at process level; docs/BENCHMARKS.md).
// Usage: java -cp deploy/target/tempora.jar docs/load-results/tools/FirstQuery.java PORT ATTR VALUE -- <shard command...>
// Starts the command, then sends one QueryEntities(ATTR=VALUE, all time) every 10 ms from this
// (already warm) JVM until one is answered OK; prints the milliseconds from launch to that answer,
// then stops the process with SIGTERM. FIRST_QUERY_LOG=FILE keeps the process's output in FILE.
// cpu_ms is the CPU time (user + system) the process had used when the answer came, from
// /proc/PID/stat: less sensitive to other load on the machine than the wall time. FQ_THREADS=1
// also prints each live thread's CPU time (/proc/PID/task/*/schedstat; thread numbers folded to #).
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

public class FirstQuery {
  public static void main(String[] a) throws Exception {
    int port = Integer.parseInt(a[0]);
    List<String> cmd = Arrays.asList(a).subList(4, a.length);
    QueryEntitiesRequest q =
        QueryEntitiesRequest.newBuilder()
            .addDescriptors(AttrValue.newBuilder().setAttr(a[1]).setValue(a[2]))
            .build();
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    var stub = TemporaServiceGrpc.newBlockingStub(ch);
    // Warm this JVM's client path against a closed port first.
    try {
      stub.withDeadlineAfter(200, TimeUnit.MILLISECONDS).queryEntities(q);
    } catch (StatusRuntimeException expected) {
    }
    long t0 = System.nanoTime();
    java.time.Instant launched = java.time.Instant.now();
    String log = System.getenv("FIRST_QUERY_LOG");
    ProcessBuilder.Redirect out =
        log == null
            ? ProcessBuilder.Redirect.DISCARD
            : ProcessBuilder.Redirect.to(new java.io.File(log));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
    int matches = -1;
    while (matches < 0) {
      if (!p.isAlive()) throw new IllegalStateException("process exited " + p.exitValue());
      try {
        ch.resetConnectBackoff();
        matches = stub.withDeadlineAfter(5, TimeUnit.SECONDS).queryEntities(q).getMatches().getMatchesCount();
      } catch (StatusRuntimeException e) {
        Thread.sleep(10);
      }
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    String[] stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + p.pid() + "/stat")).split("\\) ", 2)[1].split(" ");
    long cpuMs = (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) * 10;
    if (System.getenv("FQ_THREADS") != null) {
      java.util.Map<String, Long> byName = new java.util.TreeMap<>();
      try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + p.pid() + "/task"))) {
        for (var t : (Iterable<java.nio.file.Path>) tasks::iterator) {
          try {
            String comm = java.nio.file.Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+$", "#");
            long ns = Long.parseLong(java.nio.file.Files.readString(t.resolve("schedstat")).split(" ")[0]);
            byName.merge(comm, ns / 1_000_000, Long::sum);
          } catch (java.io.IOException gone) {}
        }
      }
      StringBuilder sb = new StringBuilder("threads_cpu_ms:");
      byName.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).forEach(en -> sb.append(' ').append(en.getKey().replace(' ', '_')).append('=').append(en.getValue()));
      System.out.println(sb);
    }
    System.out.println(
        "first_answer_ms=" + ms + " cpu_ms=" + cpuMs + " matches=" + matches + " launched_at=" + launched);
    p.destroy();
    p.waitFor(60, TimeUnit.SECONDS);
    ch.shutdownNow();
  }
}
