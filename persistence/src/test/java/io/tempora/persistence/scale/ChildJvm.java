package io.tempora.persistence.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test classpath in a child JVM with its own heap limit and collects the
 * {@code key=value} lines it prints. The child's output goes to a log file that a failure message
 * quotes.
 */
final class ChildJvm {
  private ChildJvm() {}

  /**
   * Runs {@code main} to completion.
   *
   * @param log file receiving the child's stdout and stderr
   * @param jvmArgs options before the class name (heap size, ...)
   * @param main the class to run
   * @param args its arguments
   * @return the {@code key=value} lines printed
   * @throws AssertionError if the child exits non-zero or outlives {@code timeoutMinutes}
   */
  static Map<String, String> run(
      Path log, List<String> jvmArgs, Class<?> main, long timeoutMinutes, String... args)
      throws IOException, InterruptedException {
    return run(log, jvmArgs, Map.of(), main, timeoutMinutes, args);
  }

  /** An environment of one variable for {@link #run(Path, List, Map, Class, long, String...)}. */
  static Map<String, String> env(String name, String value) {
    return Map.of(name, value);
  }

  /** As {@link #run(Path, List, Class, long, String...)} with extra environment variables. */
  static Map<String, String> run(
      Path log,
      List<String> jvmArgs,
      Map<String, String> env,
      Class<?> main,
      long timeoutMinutes,
      String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
        throw new AssertionError(
            "child " + String.join(" ", args) + " still running after " + timeoutMinutes + " min");
      }
      String out = Files.readString(log);
      if (p.exitValue() != 0) {
        throw new AssertionError(
            "child " + String.join(" ", args) + " exited " + p.exitValue() + ":\n" + out);
      }
      Map<String, String> values = new HashMap<>();
      for (String line : out.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0 && line.substring(0, eq).matches("[a-z_]+")) {
          values.put(line.substring(0, eq), line.substring(eq + 1).trim());
        }
      }
      return values;
    } finally {
      p.destroyForcibly();
    }
  }
}
