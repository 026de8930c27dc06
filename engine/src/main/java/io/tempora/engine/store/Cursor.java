package io.tempora.engine.store;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A forward cursor over a bounded prefix or range scan of a store. Not thread-safe; the caller
 * closes it (a disk store releases its iterator on close).
 */
public interface Cursor<T> extends Iterator<T>, AutoCloseable {
  @Override
  void close();

  /** A cursor over an in-memory iterator; close does nothing. */
  static <T> Cursor<T> of(Iterator<T> it) {
    return new Cursor<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public T next() {
        return it.next();
      }

      @Override
      public void close() {}
    };
  }

  /** Drains the cursor into a list and closes it. */
  default List<T> toList() {
    try (this) {
      List<T> out = new ArrayList<>();
      while (hasNext()) {
        out.add(next());
      }
      return out;
    }
  }
}
