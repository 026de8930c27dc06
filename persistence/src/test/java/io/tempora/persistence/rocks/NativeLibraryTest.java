package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.util.Environment;

class NativeLibraryTest {
  @TempDir Path root;

  private static final String NAME = Environment.getJniLibraryFileName("rocksdbjni");

  @Test
  void cached_firstAndSecondCall_unpackOnceUnderTheLoadersName() throws Exception {
    Path dir = NativeLibrary.cached(root);

    assertThat(dir).isNotNull();
    Path lib = dir.resolve(NAME);
    long size = Files.size(lib);
    assertThat(size).isGreaterThan(1_000_000);
    assertThat(dir.getFileName().toString()).endsWith("-" + size);
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(lib);
    }
    FileTime marked = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
    Files.setLastModifiedTime(lib, marked);

    assertThat(NativeLibrary.cached(root)).isEqualTo(dir);
    assertThat(Files.getLastModifiedTime(lib)).as("not unpacked again").isEqualTo(marked);
  }

  @Test
  void cached_truncatedCopy_isReplaced() throws Exception {
    Path dir = NativeLibrary.cached(root);
    Path lib = dir.resolve(NAME);
    long size = Files.size(lib);
    Files.write(lib, new byte[10]);

    assertThat(NativeLibrary.cached(root)).isEqualTo(dir);
    assertThat(Files.size(lib)).isEqualTo(size);
  }

  @Test
  void cached_userDirectoryIsASymlink_isNotUsed() throws Exception {
    Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
    Files.createSymbolicLink(
        root.resolve("tempora-native-" + System.getProperty("user.name")), elsewhere);

    assertThat(NativeLibrary.cached(root)).isNull();
    try (var files = Files.list(elsewhere)) {
      assertThat(files).isEmpty();
    }
  }
}
