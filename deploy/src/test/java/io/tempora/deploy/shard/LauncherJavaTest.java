package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's JDK selection ({@code bin/lib/java.sh}) against fake JDK directories: the version
 * comes from a JDK's {@code release} file without starting it, and from {@code java -version} when
 * there is none.
 */
class LauncherJavaTest {
  @TempDir Path jvms;

  @Test
  void select_jdkWithReleaseFile_readsTheVersionWithoutRunningJava() throws Exception {
    // This java fails if it is run: the version must come from the release file.
    fakeJdk("temurin-22-fake", "JAVA_VERSION=\"22.0.1\"\n", "exit 1");

    assertThat(select(Map.of())).isEqualTo("22 " + jvms.resolve("temurin-22-fake"));
  }

  @Test
  void select_jdkWithoutReleaseFile_asksJavaVersion() throws Exception {
    fakeJdk("other-23", null, "echo 'openjdk version \"23.0.2\" 2025-01-21' >&2");

    assertThat(select(Map.of())).isEqualTo("23 " + jvms.resolve("other-23"));
  }

  @Test
  void select_javaHomeTooOld_fallsBackToANewerJdk() throws Exception {
    Path old = fakeJdk("old-17", "JAVA_VERSION=\"17.0.9\"\n", "exit 1");
    fakeJdk("temurin-21-fake", "JAVA_VERSION=\"21.0.4\"\n", "exit 1");

    assertThat(select(Map.of("JAVA_HOME", old.toString())))
        .isEqualTo("21 " + jvms.resolve("temurin-21-fake"));
  }

  private Path fakeJdk(String name, String release, String javaBody) throws IOException {
    Path home = jvms.resolve(name);
    Path java = home.resolve("bin").resolve("java");
    Files.createDirectories(java.getParent());
    Files.writeString(java, "#!/bin/sh\n" + javaBody + "\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (release != null) {
      Files.writeString(home.resolve("release"), release);
    }
    return home;
  }

  /** Sources java.sh in a clean environment; returns "MAJOR JAVA_HOME" or the error output. */
  private String select(Map<String, String> env) throws Exception {
    Path script = ShardHandle.root().resolve("bin").resolve("lib").resolve("java.sh");
    ProcessBuilder pb =
        new ProcessBuilder(
                "/bin/sh",
                "-c",
                ". \"$1\" && echo \"$TEMPORA_JAVA_MAJOR $JAVA_HOME\"",
                "sh",
                script.toString())
            .redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.environment().put("TEMPORA_JVM_DIR", jvms.toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
  }
}
