package io.tempora.persistence.rocks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The acknowledged watermark {@code <data-dir>/ACKED} (STORAGE.md §4.5): {@code "TACK"}, u8 version
 * 1, u16 shard, u64 wseq, u64 tx, u32 CRC-32C of the preceding 23 bytes; all big-endian. Written
 * atomically: temp file, fsync, rename, directory fsync.
 *
 * @param shard the shard id
 * @param wseq the highest write sequence known durable
 * @param tx the transaction number at that write
 */
record AckedFile(int shard, long wseq, long tx) {
  static final String NAME = "ACKED";
  private static final byte[] MAGIC = "TACK".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final int SIZE = 27;

  /** What {@link #read} found. */
  sealed interface State permits Missing, Unreadable, Present {}

  record Missing() implements State {}

  record Unreadable(String reason) implements State {}

  record Present(AckedFile acked) implements State {}

  static State read(Path dataDir) {
    byte[] b;
    try {
      b = Files.readAllBytes(dataDir.resolve(NAME));
    } catch (NoSuchFileException e) {
      return new Missing();
    } catch (IOException e) {
      return new Unreadable(e.toString());
    }
    if (b.length != SIZE) {
      return new Unreadable("size " + b.length + ", expected " + SIZE);
    }
    ByteBuffer buf = ByteBuffer.wrap(b);
    byte[] magic = new byte[4];
    buf.get(magic);
    if (!Arrays.equals(magic, MAGIC) || buf.get() != VERSION) {
      return new Unreadable("bad magic or version");
    }
    int shard = buf.getShort() & 0xFFFF;
    long wseq = buf.getLong();
    long tx = buf.getLong();
    int crc = buf.getInt();
    if (crc != crc(b)) {
      return new Unreadable("checksum mismatch");
    }
    return new Present(new AckedFile(shard, wseq, tx));
  }

  private static int crc(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b, 0, SIZE - 4);
    return (int) c.getValue();
  }

  /** Replaces the file atomically and durably. */
  void write(Path dataDir) {
    ByteBuffer buf = ByteBuffer.allocate(SIZE);
    buf.put(MAGIC).put((byte) VERSION).putShort((short) shard).putLong(wseq).putLong(tx);
    byte[] b = buf.array();
    ByteBuffer.wrap(b, SIZE - 4, 4).putInt(crc(b));
    Path tmp = dataDir.resolve(NAME + ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap(b));
        ch.force(true);
      }
      Files.move(tmp, dataDir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE);
      try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
        dir.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("write " + dataDir.resolve(NAME), e);
    }
  }
}
