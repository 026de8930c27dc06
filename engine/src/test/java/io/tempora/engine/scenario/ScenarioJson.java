package io.tempora.engine.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tempora.engine.model.Identity;
import java.util.Collection;

/**
 * The value shapes of {@code tempora-scenario/1} shared by every {@link ScenarioClient}:
 * identities, intervals, ids and errors, both directions.
 */
public final class ScenarioJson {
  public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ScenarioJson() {}

  /** An identity {@code [entity_type, perspective, uid]}; absent parts are {@code ""}. */
  public static Identity identity(JsonNode node) {
    if (node == null) {
      return Identity.of("", "", "");
    }
    return Identity.of(node.path(0).asText(""), node.path(1).asText(""), node.path(2).asText(""));
  }

  /** Renders an identity. */
  public static ArrayNode identity(Identity id) {
    return NODES.arrayNode().add(id.entityType()).add(id.perspective()).add(id.uid());
  }

  /** Renders identities in the given order. */
  public static ArrayNode identities(Collection<Identity> ids) {
    ArrayNode out = NODES.arrayNode();
    ids.forEach(id -> out.add(identity(id)));
    return out;
  }

  /** A request interval side: {@code null} (or absent) means omitted. */
  public static Long side(JsonNode interval, int index) {
    JsonNode n = interval == null ? null : interval.get(index);
    return n == null || n.isNull() ? null : Long.parseLong(n.asText());
  }

  /** The start of a request window, {@link Long#MIN_VALUE} when omitted. */
  public static long windowStart(JsonNode window) {
    Long s = side(window, 0);
    return s == null ? Long.MIN_VALUE : s;
  }

  /** The end of a request window, {@link Long#MAX_VALUE} when omitted. */
  public static long windowEnd(JsonNode window) {
    Long e = side(window, 1);
    return e == null ? Long.MAX_VALUE : e;
  }

  /** Renders {@code [start, end)}; an unset side ({@code ±inf}) is {@code null}. */
  public static ArrayNode interval(long start, long end) {
    ArrayNode out = NODES.arrayNode();
    if (start == Long.MIN_VALUE) {
      out.addNull();
    } else {
      out.add(Long.toString(start));
    }
    if (end == Long.MAX_VALUE) {
      out.addNull();
    } else {
      out.add(Long.toString(end));
    }
    return out;
  }

  /** Renders a record id as {@code "rN"}. */
  public static String recordId(long id) {
    return "r" + Long.toUnsignedString(id);
  }

  /** Renders an entity id as {@code "eN"}. */
  public static String entityId(long id) {
    return "e" + Long.toUnsignedString(id);
  }

  /** Parses {@code "eN"} (or {@code "rN"}) into the 64-bit id. */
  public static long parseId(String id) {
    return Long.parseUnsignedLong(id.substring(1));
  }

  /** Renders a tx number; 0 means none and renders as {@code null}. */
  public static JsonNode tx(long tx) {
    return tx == 0 ? NODES.nullNode() : NODES.numberNode(tx);
  }

  /** {@code {"error": {"code", "message"}}}. */
  public static ObjectNode error(String code, String message) {
    ObjectNode out = NODES.objectNode();
    ObjectNode err = out.putObject("error");
    err.put("code", code);
    err.put("message", message);
    return out;
  }

  /** A string field, {@code ""} when absent (proto3 semantics). */
  public static String text(JsonNode node, String field) {
    JsonNode n = node.get(field);
    return n == null || n.isNull() ? "" : n.asText();
  }

  /** A string field, {@code null} when absent. */
  public static String optionalText(JsonNode node, String field) {
    JsonNode n = node.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }
}
