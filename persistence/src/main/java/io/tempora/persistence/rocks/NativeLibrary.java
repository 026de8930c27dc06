package io.tempora.persistence.rocks;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.jar.JarEntry;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library once per process (STORAGE.md §7), from a per-user cache instead of
 * unpacking it on every start: {@link RocksDB#loadLibrary()} inflates the 17 MB library from the
 * jar into {@code java.io.tmpdir} each time, which took 1.4–2.3 s of every start-up on the 2-core
 * test machine, against 5–80 ms to load an unpacked copy.
 *
 * <p>The cache is {@code <tempora.native.dir or
 * java.io.tmpdir>/tempora-native-<user>/<crc>-<size>/} holding the library under its usual name,
 * where crc and size are the jar entry's own (read from the jar's directory, without inflating): a
 * new rocksdbjni version gets a new directory. The library is written to a temporary name and
 * renamed, so a crash never leaves a partial file under the final name. The user's directory is
 * created owner-only and used only if it is a real directory owned by this user; otherwise, or if
 * anything fails, the stock loader runs.
 */
public final class NativeLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);
  private static boolean loaded;

  private NativeLibrary() {}

  /** Loads the library if this process has not yet; thread-safe and idempotent. */
  public static synchronized void load() {
    if (loaded) {
      return;
    }
    long started = System.nanoTime();
    String how;
    try {
      Path dir =
          cached(
              Path.of(
                  System.getProperty("tempora.native.dir", System.getProperty("java.io.tmpdir"))));
      if (dir != null) {
        RocksDB.loadLibrary(List.of(dir.toString()));
        how = "from " + dir;
      } else {
        RocksDB.loadLibrary();
        how = "unpacked by rocksdbjni";
      }
    } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
      LOG.debug("cached RocksDB library unusable ({}); unpacking it", e.toString());
      RocksDB.loadLibrary();
      how = "unpacked by rocksdbjni";
    }
    loaded = true;
    LOG.debug(
        "RocksDB native library loaded {} in {} ms",
        how,
        (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * The cache directory under {@code root} holding the library, filled if needed; null where it
   * cannot be used (no jar entry, a foreign or symlinked user directory).
   */
  static Path cached(Path root) throws IOException {
    // The jar holds e.g. librocksdbjni-linux64.so; RocksDB.loadLibrary(paths) looks in each path
    // for the name it derives from "rocksdbjni" (librocksdbjnijni-linux64.so): cache it under that.
    URL url =
        RocksDB.class.getClassLoader().getResource(Environment.getJniLibraryFileName("rocksdb"));
    String name = Environment.getJniLibraryFileName("rocksdbjni");
    if (url == null) {
      return null;
    }
    URLConnection conn = url.openConnection();
    if (!(conn instanceof JarURLConnection jar)) {
      return null;
    }
    conn.setUseCaches(false);
    JarEntry entry = jar.getJarEntry();
    if (entry == null || entry.getSize() <= 0 || entry.getCrc() < 0) {
      return null;
    }
    Path user = root.resolve("tempora-native-" + System.getProperty("user.name", "user"));
    if (!Files.exists(user, LinkOption.NOFOLLOW_LINKS)) {
      try {
        Files.createDirectories(
            user,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another process created it: checked below
      }
    }
    if (!Files.isDirectory(user, LinkOption.NOFOLLOW_LINKS)
        || !Files.getOwner(user, LinkOption.NOFOLLOW_LINKS)
            .getName()
            .equals(System.getProperty("user.name"))) {
      return null;
    }
    Path dir = user.resolve(Long.toHexString(entry.getCrc()) + "-" + entry.getSize());
    Path lib = dir.resolve(name);
    if (Files.isRegularFile(lib, LinkOption.NOFOLLOW_LINKS) && Files.size(lib) == entry.getSize()) {
      return dir;
    }
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, name, ".tmp");
    try (InputStream in = url.openStream()) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return dir;
  }
}
