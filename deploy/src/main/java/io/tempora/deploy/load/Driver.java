package io.tempora.deploy.load;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs one phase of a benchmark: {@code concurrency} workers take requests from a source and
 * execute them, closed loop or at a fixed rate, timing every request (send to response) into an
 * HdrHistogram of microseconds (1 µs to 60 s, 3 significant digits). At a fixed rate a request's
 * latency counts from its scheduled start, so a slow server is not hidden by the driver waiting
 * (coordinated omission). A request that fails is counted by status code and its items as failed,
 * never as acknowledged.
 */
final class Driver {
  static final long MAX_MICROS = TimeUnit.SECONDS.toMicros(60);

  /** A source of requests: the next one, or null when there are no more. Thread-safe. */
  @FunctionalInterface
  interface Source<T> {
    T next();
  }

  /** Executes one request; throws on failure (a gRPC status, or anything else as UNKNOWN). */
  @FunctionalInterface
  interface Executor<T> {
    void execute(T request) throws Exception;
  }

  /** How a phase runs. */
  record Settings(
      String name, int concurrency, double rate, boolean progress, long expectedItems) {}

  private Driver() {}

  /** Runs a phase to the end of its source and returns what it measured. */
  static <T> PhaseResult run(
      Settings settings,
      Source<T> source,
      java.util.function.ToIntFunction<T> items,
      Executor<T> executor,
      PrintStream err) {
    Recorder recorder = new Recorder(1, MAX_MICROS, 3);
    Histogram total = new Histogram(1, MAX_MICROS, 3);
    Counters c = new Counters();
    AtomicLong ticket = new AtomicLong();
    ExecutorService workers =
        Executors.newFixedThreadPool(settings.concurrency(), named("tempora-load-worker-"));
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(named("tempora-load-progress-"));
    ProgressBar bar = settings.progress() ? bar(settings, err) : null;
    long startNanos = System.nanoTime();
    try {
      ticker.scheduleAtFixedRate(() -> collect(recorder, total, bar, c), 1, 1, TimeUnit.SECONDS);
      Future<?>[] futures = new Future<?>[settings.concurrency()];
      for (int w = 0; w < futures.length; w++) {
        futures[w] =
            workers.submit(
                () ->
                    work(settings, startNanos, ticket, source, items, executor, recorder, c, bar));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + settings.name(), e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(settings.name() + ": a worker failed", e.getCause());
    } finally {
      workers.shutdownNow();
      ticker.shutdownNow();
      awaitQuietly(ticker);
      if (bar != null) {
        bar.close();
      }
    }
    long elapsed = System.nanoTime() - startNanos;
    synchronized (total) {
      total.add(recorder.getIntervalHistogram());
    }
    return c.result(settings.name(), Duration.ofNanos(elapsed), total);
  }

  private static <T> void work(
      Settings settings,
      long startNanos,
      AtomicLong ticket,
      Source<T> source,
      java.util.function.ToIntFunction<T> items,
      Executor<T> executor,
      Recorder recorder,
      Counters c,
      ProgressBar bar) {
    while (!Thread.currentThread().isInterrupted()) {
      T request = source.next();
      if (request == null) {
        return;
      }
      long begin = System.nanoTime();
      if (settings.rate() > 0) {
        begin = startNanos + (long) (ticket.getAndIncrement() * 1e9 / settings.rate());
        waitUntil(begin);
      }
      int n = items.applyAsInt(request);
      Status.Code failure = null;
      try {
        executor.execute(request);
      } catch (StatusRuntimeException e) {
        failure = e.getStatus().getCode();
      } catch (Exception e) {
        failure = Status.fromThrowable(e).getCode();
      }
      long micros = Math.max(1, (System.nanoTime() - begin) / 1000);
      recorder.recordValue(Math.min(micros, MAX_MICROS));
      c.count(n, failure);
      if (bar != null) {
        bar.stepBy(n);
      }
    }
  }

  private static void waitUntil(long nanos) {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private static void collect(Recorder recorder, Histogram total, ProgressBar bar, Counters c) {
    synchronized (total) {
      total.add(recorder.getIntervalHistogram());
      if (bar != null) {
        bar.setExtraMessage(
            String.format(
                " p99 %.1fms err %d",
                total.getValueAtPercentile(99) / 1000.0, c.failedRequests.sum()));
      }
    }
  }

  private static ProgressBar bar(Settings settings, PrintStream err) {
    return new ProgressBarBuilder()
        .setTaskName(settings.name())
        .setInitialMax(settings.expectedItems())
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(1000)
        .setUnit(" rec", 1)
        .showSpeed()
        .setConsumer(new ConsoleProgressBarConsumer(err))
        .build();
  }

  private static void awaitQuietly(ExecutorService e) {
    try {
      e.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Thread-safe counts of one phase. */
  private static final class Counters {
    final LongAdder requests = new LongAdder();
    final LongAdder failedRequests = new LongAdder();
    final LongAdder acked = new LongAdder();
    final LongAdder failed = new LongAdder();
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

    void count(int items, Status.Code failure) {
      requests.increment();
      if (failure == null) {
        acked.add(items);
      } else {
        failedRequests.increment();
        failed.add(items);
        errors.computeIfAbsent(failure.name(), k -> new LongAdder()).increment();
      }
    }

    PhaseResult result(String name, Duration elapsed, Histogram h) {
      Map<String, Long> byCode = new TreeMap<>();
      errors.forEach((k, v) -> byCode.put(k, v.sum()));
      return PhaseResult.of(
          name,
          elapsed,
          requests.sum(),
          failedRequests.sum(),
          acked.sum(),
          failed.sum(),
          byCode,
          h);
    }
  }
}
