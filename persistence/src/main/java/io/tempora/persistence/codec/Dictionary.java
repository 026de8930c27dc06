package io.tempora.persistence.codec;

/**
 * The interner as the codecs see it: strings of a record version are stored as shard-local ids.
 * Implementations decide whether an unknown string gets a new id (writes) or is an error (reads).
 */
public interface Dictionary {
  /** The four separate dictionaries of STORAGE.md §3 with their id widths in keys. */
  enum Kind {
    ATTRIBUTE(0x41, 4),
    VALUE(0x56, 8),
    TYPE(0x54, 4),
    PERSPECTIVE(0x50, 4);

    private final int tag;
    private final int width;

    Kind(int tag, int width) {
      this.tag = tag;
      this.width = width;
    }

    /** Key tag of the id → string rows; the string → id rows use the lower-case letter. */
    public int tag() {
      return tag;
    }

    /** Width in bytes of the id in keys (u32 or u64). */
    public int width() {
      return width;
    }
  }

  /** The id of a string, interning it if the implementation writes. */
  long id(Kind kind, String s);

  /** The string of an id that is in use; throws if the id is unknown. */
  String string(Kind kind, long id);
}
