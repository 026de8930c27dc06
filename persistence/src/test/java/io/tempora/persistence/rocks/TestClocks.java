package io.tempora.persistence.rocks;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/** UTC clocks that read a value a test moves. */
final class TestClocks {
  private TestClocks() {}

  /** A clock at {@code epochMillis.getAsLong()} milliseconds. */
  static Clock millis(LongSupplier epochMillis) {
    return new Reading(() -> Instant.ofEpochMilli(epochMillis.getAsLong()));
  }

  /** A clock at {@code epochSeconds.getAsLong()} seconds. */
  static Clock seconds(LongSupplier epochSeconds) {
    return new Reading(() -> Instant.ofEpochSecond(epochSeconds.getAsLong()));
  }

  private static final class Reading extends Clock {
    private final java.util.function.Supplier<Instant> now;

    Reading(java.util.function.Supplier<Instant> now) {
      this.now = now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  }
}
