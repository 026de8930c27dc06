package io.tempora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's commands and {@code .ci/run} must agree (OPERATIONS.md section 8). */
class ReadmeContractTest {

  private static final Path ROOT = findRepoRoot();

  @Test
  void ciRun_comparedWithReadme_execsExactlyTheTestCommand() throws IOException {
    String readmeCommand = commandInSection("Run the tests");

    assertThat(readmeCommand).isEqualTo("./bin/test");
    assertThat(execLines(ROOT.resolve(".ci/run"))).containsExactly("exec " + readmeCommand);
  }

  @Test
  void readmeCommands_inRepository_areExecutableScripts() throws IOException {
    for (String section : List.of("Quick start", "Run the tests")) {
      String command = commandInSection(section);
      Path script = ROOT.resolve(command);

      assertThat(command).as(section).startsWith("./bin/").doesNotContain(" ");
      assertThat(script).as(section).isRegularFile();
      assertThat(Files.isExecutable(script)).as("%s is executable", script).isTrue();
    }
  }

  /**
   * Returns the only line of the first fenced code block under the README heading {@code title}.
   */
  private static String commandInSection(String title) throws IOException {
    List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
    int heading = indexOfHeading(lines, title);
    List<String> block = new ArrayList<>();
    boolean inBlock = false;
    for (String line : lines.subList(heading + 1, lines.size())) {
      if (line.startsWith("#") && !inBlock) {
        break;
      }
      if (line.startsWith("```")) {
        if (inBlock) {
          break;
        }
        inBlock = true;
      } else if (inBlock && !line.isBlank()) {
        block.add(line.strip());
      }
    }
    assertThat(block).as("code block under README heading '%s'", title).hasSize(1);
    return block.get(0);
  }

  private static int indexOfHeading(List<String> lines, String title) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).matches("#+\\s+" + title + "\\s*")) {
        return i;
      }
    }
    throw new AssertionError("README.md has no heading '" + title + "'");
  }

  /** Returns the lines of a shell script that start with {@code exec}, stripped. */
  private static List<String> execLines(Path script) throws IOException {
    return Files.readAllLines(script).stream()
        .map(String::strip)
        .filter(line -> line.startsWith("exec "))
        .toList();
  }

  private static Path findRepoRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      Path pom = d.resolve("pom.xml");
      try {
        if (Files.isRegularFile(pom) && Files.readString(pom).contains("<modules>")) {
          return d;
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + pom, e);
      }
    }
    throw new IllegalStateException("no pom.xml with <modules> above " + dir);
  }
}
