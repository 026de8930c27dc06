package io.tempora.router;

import io.tempora.proto.v1.Identity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test-only {@link MoveHook} for real router processes (RouterKillIT, system property {@code
 * tempora.test.move-crash-dir}): when a test creates {@code DIR/arm}, the next move of any router
 * watching DIR claims it (an atomic rename, so one router does), writes {@code DIR/paused} (its
 * pid, then one line per identity of the batch: type, perspective, uid separated by tabs) and
 * waits, keeping its lease, until the test creates {@code DIR/go} (at most 60 s); it then runs the
 * directory compare-and-set and halts the JVM at once, before the carry-over: the death the move
 * journal repairs. Thread-safe.
 */
final class MoveCrashHook implements MoveHook {
  private static final Logger LOG = LoggerFactory.getLogger(MoveCrashHook.class);
  private static final long WAIT_MS = 60_000;

  private final Path dir;
  private final Runnable holdLease;
  private volatile boolean armed;

  MoveCrashHook(Path dir, Runnable holdLease) {
    this.dir = dir;
    this.holdLease = holdLease;
  }

  @Override
  public void at(Point point, List<Identity> ids) {
    if (point == Point.BEFORE_CAS && claim()) {
      armed = true;
      pause(ids);
    } else if (point == Point.AFTER_CAS && armed) {
      LOG.warn("test hook: halting after the directory CAS of {} records", ids.size());
      Runtime.getRuntime().halt(137);
    }
  }

  private boolean claim() {
    long pid = ProcessHandle.current().pid();
    try {
      Files.move(dir.resolve("arm"), dir.resolve("claimed-" + pid), StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void pause(List<Identity> ids) {
    List<String> lines = new ArrayList<>();
    lines.add(Long.toString(ProcessHandle.current().pid()));
    for (Identity id : ids) {
      lines.add(id.getEntityType() + "\t" + id.getPerspective() + "\t" + id.getUid());
    }
    try {
      Path tmp = dir.resolve("paused.tmp");
      Files.write(tmp, lines);
      Files.move(tmp, dir.resolve("paused"), StandardCopyOption.ATOMIC_MOVE);
      LOG.warn("test hook: move of {} records paused before its directory CAS", ids.size());
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
      while (!Files.exists(dir.resolve("go")) && System.nanoTime() < until) {
        holdLease.run();
        TimeUnit.MILLISECONDS.sleep(20);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted in the test hook", e);
    }
  }
}
