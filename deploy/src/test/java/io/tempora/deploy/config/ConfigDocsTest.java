package io.tempora.deploy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the keys the loader knows, with their defaults. */
class ConfigDocsTest {
  private static final Pattern ROW =
      Pattern.compile("^\\| `([a-z_.]+)` \\| (`[^`]*`|required) \\| (yes|no) \\|.*");

  static Path docs() {
    Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (; d != null; d = d.getParent()) {
      Path f = d.resolve("docs/configuration.md");
      if (Files.isRegularFile(f)) {
        return f;
      }
    }
    throw new AssertionError("docs/configuration.md not found");
  }

  /** The table rows: key → "default|reload". */
  static Map<String, String> documented() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(docs())) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        out.put(m.group(1), m.group(2) + "|" + m.group(3));
      }
    }
    return out;
  }

  static String row(ConfigKey k) {
    String def = k.isRequired() ? "required" : "`" + k.defaultText() + "`";
    return def + "|" + (k.reloadable() ? "yes" : "no");
  }

  @Test
  void docsTable_comparedWithLoader_listsExactlyItsKeysAndDefaults() throws IOException {
    Map<String, String> expected = new LinkedHashMap<>();
    for (ConfigKey k : ConfigKeys.all()) {
      expected.put(k.name(), row(k));
    }

    assertThat(documented()).containsExactlyInAnyOrderEntriesOf(expected);
  }
}
