package io.tempora.engine.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonMatcherTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final JsonMatcher matcher = new JsonMatcher(Set.of());

  private static JsonNode json(String s) throws Exception {
    return MAPPER.readTree(s);
  }

  @Test
  void match_extraActualKeys_areIgnored() throws Exception {
    assertThat(matcher.match(json("{\"a\":1}"), json("{\"a\":1,\"b\":2}"), "$")).isEmpty();
  }

  @Test
  void match_differentNestedValue_namesPath() throws Exception {
    assertThat(matcher.match(json("{\"a\":[{\"b\":\"x\"}]}"), json("{\"a\":[{\"b\":\"y\"}]}"), "$"))
        .containsExactly("$.a[0].b: expected \"x\", actual \"y\"");
  }

  @Test
  void match_listLengthDiffers_isOneMismatch() throws Exception {
    assertThat(matcher.match(json("[1,2]"), json("[1]"), "$"))
        .singleElement()
        .asString()
        .startsWith("$: expected 2 elements, actual 1");
  }

  @Test
  void match_expectedNull_acceptsNullOrAbsent() throws Exception {
    assertThat(matcher.match(json("{\"tx\":null}"), json("{}"), "$")).isEmpty();
    assertThat(matcher.match(json("{\"tx\":null}"), json("{\"tx\":null}"), "$")).isEmpty();
    assertThat(matcher.match(json("{\"tx\":null}"), json("{\"tx\":3}"), "$")).hasSize(1);
  }

  @Test
  void match_missingExpectedKey_isMismatch() throws Exception {
    assertThat(matcher.match(json("{\"a\":\"x\"}"), json("{}"), "$"))
        .containsExactly("$.a: expected \"x\", actual <missing>");
  }

  @Test
  void match_unexpectedError_reportsError() throws Exception {
    assertThat(matcher.match(json("{\"tx\":1}"), json("{\"error\":{\"code\":\"NOT_FOUND\"}}"), "$"))
        .singleElement()
        .asString()
        .contains("expected an answer, actual error");
  }

  @Test
  void match_errorWithoutMessage_ignoresActualMessage() throws Exception {
    JsonNode expected = json("{\"error\":{\"code\":\"NOT_FOUND\"}}");
    JsonNode actual = json("{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"m\"}}");
    assertThat(matcher.match(expected, actual, "$")).isEmpty();
  }

  @Test
  void match_numbersOfOtherWidth_compareByValue() throws Exception {
    assertThat(matcher.match(json("3"), json("3.0"), "$")).isEmpty();
    assertThat(matcher.match(json("3"), json("\"3\""), "$")).hasSize(1);
  }

  @Test
  void match_skippedKeys_areNotChecked() throws Exception {
    JsonMatcher multiShard = new JsonMatcher(Set.of("entity_id", "tx"));
    assertThat(
            multiShard.match(
                json("{\"tx\":1,\"entity_id\":\"e1\",\"kind\":\"CREATED\"}"),
                json("{\"tx\":7,\"entity_id\":\"e9\",\"kind\":\"CREATED\"}"),
                "$"))
        .isEmpty();
  }
}
