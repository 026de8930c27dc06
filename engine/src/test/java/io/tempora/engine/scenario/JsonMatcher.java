package io.tempora.engine.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The matching rules of {@code tempora-scenario/1}: an expected object is matched key by key (keys
 * it lacks are not checked), an expected list must match in length and order element by element,
 * scalars must be equal (numbers by value; an expected {@code null} also accepts an absent field).
 * Keys in {@code skippedKeys} are never checked. Stateless and thread-safe.
 */
final class JsonMatcher {
  private static final int MAX_RENDERED = 1500;

  private final Set<String> skippedKeys;

  /**
   * @param skippedKeys object keys left unchecked wherever they occur (ids and tx numbers on a
   *     multi-shard service)
   */
  JsonMatcher(Set<String> skippedKeys) {
    this.skippedKeys = Set.copyOf(skippedKeys);
  }

  /** The mismatches of {@code actual} against {@code expected}, each naming its JSON path. */
  List<String> match(JsonNode expected, JsonNode actual, String path) {
    List<String> out = new ArrayList<>();
    match(expected, actual, path, out);
    return out;
  }

  private void match(JsonNode expected, JsonNode actual, String path, List<String> out) {
    if (expected.isObject()) {
      matchObject(expected, actual, path, out);
    } else if (expected.isArray()) {
      matchArray(expected, actual, path, out);
    } else if (expected.isNull()) {
      if (!actual.isNull() && !actual.isMissingNode()) {
        out.add(mismatch(path, expected, actual));
      }
    } else if (expected.isNumber()) {
      if (!actual.isNumber() || expected.decimalValue().compareTo(actual.decimalValue()) != 0) {
        out.add(mismatch(path, expected, actual));
      }
    } else if (!expected.equals(actual)) {
      out.add(mismatch(path, expected, actual));
    }
  }

  private void matchObject(JsonNode expected, JsonNode actual, String path, List<String> out) {
    if (!actual.isObject()) {
      out.add(mismatch(path, expected, actual));
      return;
    }
    if (actual.has("error") && !expected.has("error")) {
      out.add(path + ": expected an answer, actual error " + render(actual.get("error")));
      return;
    }
    if (expected.has("error") && !actual.has("error")) {
      out.add(
          path
              + ": expected error "
              + render(expected.get("error"))
              + ", actual answer "
              + render(actual));
      return;
    }
    for (Map.Entry<String, JsonNode> f : expected.properties()) {
      if (!skippedKeys.contains(f.getKey())) {
        match(f.getValue(), actual.path(f.getKey()), path + "." + f.getKey(), out);
      }
    }
  }

  private void matchArray(JsonNode expected, JsonNode actual, String path, List<String> out) {
    if (!actual.isArray()) {
      out.add(mismatch(path, expected, actual));
      return;
    }
    if (expected.size() != actual.size()) {
      out.add(
          path
              + ": expected "
              + expected.size()
              + " elements, actual "
              + actual.size()
              + "; expected "
              + render(expected)
              + ", actual "
              + render(actual));
      return;
    }
    for (int i = 0; i < expected.size(); i++) {
      match(expected.get(i), actual.get(i), path + "[" + i + "]", out);
    }
  }

  private static String mismatch(String path, JsonNode expected, JsonNode actual) {
    return path + ": expected " + render(expected) + ", actual " + render(actual);
  }

  /** Compact JSON, {@code <missing>} for an absent field, cut after a bounded length. */
  static String render(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "<missing>";
    }
    String s = node.toString();
    return s.length() <= MAX_RENDERED ? s : s.substring(0, MAX_RENDERED) + "…";
  }
}
