package io.tempora.persistence.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ASCII fast paths of {@link WtfEight} give the bytes and strings of the general one. */
class WtfEightTest {
  private static final List<String> SAMPLES =
      List.of(
          "",
          "m12345",
          "person",
          "\u0000\u007f",
          "caf\u00e9",
          "\u20ac 5",
          "\ud83d\ude00",
          "lone \ud800 high",
          "lone \udc00 low",
          "mixed a\u00e9\ud83d\ude00\ud800z");

  @Test
  void encode_anyString_isTheGeneralisedUtf8OfItsCodePoints() {
    for (String s : SAMPLES) {
      assertThat(WtfEight.encode(s)).as(s).isEqualTo(reference(s));
    }
  }

  @Test
  void encode_wellFormedString_isItsUtf8() {
    assertThat(WtfEight.encode("caf\u00e9 \ud83d\ude00"))
        .isEqualTo("caf\u00e9 \ud83d\ude00".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void decode_encodedBytesAtAnOffset_givesTheStringBack() {
    for (String s : SAMPLES) {
      byte[] b = WtfEight.encode(s);
      byte[] padded = new byte[b.length + 3];
      System.arraycopy(b, 0, padded, 2, b.length);
      padded[0] = (byte) 0xE0;
      padded[b.length + 2] = (byte) 0xFF;
      assertThat(WtfEight.decode(padded, 2, b.length)).as(s).isEqualTo(s);
    }
  }

  /** Code point by code point, as the encoder did before its ASCII fast path. */
  private static byte[] reference(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    s.codePoints()
        .forEach(
            cp -> {
              if (cp < 0x80) {
                out.write(cp);
              } else if (cp < 0x800) {
                out.write(0xC0 | (cp >>> 6));
                out.write(0x80 | (cp & 0x3F));
              } else if (cp < 0x10000) {
                out.write(0xE0 | (cp >>> 12));
                out.write(0x80 | ((cp >>> 6) & 0x3F));
                out.write(0x80 | (cp & 0x3F));
              } else {
                out.write(0xF0 | (cp >>> 18));
                out.write(0x80 | ((cp >>> 12) & 0x3F));
                out.write(0x80 | ((cp >>> 6) & 0x3F));
                out.write(0x80 | (cp & 0x3F));
              }
            });
    return out.toByteArray();
  }
}
