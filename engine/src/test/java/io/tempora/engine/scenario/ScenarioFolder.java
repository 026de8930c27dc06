package io.tempora.engine.scenario;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the shared acceptance scenarios: the directory named by system property {@value #PROPERTY},
 * else the first {@code shared/scenarios} found walking up from {@code user.dir} (the repository's
 * clone has {@code shared/} beside it).
 */
public final class ScenarioFolder {
  /** System property naming the scenario directory explicitly. */
  public static final String PROPERTY = "tempora.scenarios";

  private ScenarioFolder() {}

  /** The scenario directory; throws {@link AssertionError} saying where it looked if missing. */
  public static Path locate() {
    String explicit = System.getProperty(PROPERTY);
    if (explicit != null && !explicit.isBlank()) {
      Path dir = Path.of(explicit).toAbsolutePath();
      if (!Files.isDirectory(dir)) {
        throw new AssertionError(
            "-D" + PROPERTY + "=" + explicit + ": " + dir + " is no directory");
      }
      return dir;
    }
    List<Path> tried = new ArrayList<>();
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path d = start; d != null; d = d.getParent()) {
      Path candidate = d.resolve("shared").resolve("scenarios");
      tried.add(candidate);
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError(
        "shared scenario folder not found: set -D"
            + PROPERTY
            + "=<dir> or keep shared/scenarios beside the clone; looked in "
            + tried);
  }

  /** The {@code *.json} files of a directory, sorted by name. */
  public static List<Path> files(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.json")) {
      s.forEach(out::add);
    }
    out.sort(null);
    return out;
  }
}
