package io.tempora.engine.scenario;

import static io.tempora.engine.scenario.ScenarioJson.optionalText;
import static io.tempora.engine.scenario.ScenarioJson.side;
import static io.tempora.engine.scenario.ScenarioJson.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.tempora.engine.Limits;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.ontology.Ontology.IdentityKey;
import io.tempora.engine.ontology.Ontology.IgnoredValues;
import io.tempora.engine.ontology.Ontology.StrongIdentifier;
import io.tempora.engine.query.QueryRequest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Scenario request JSON to engine inputs. Absent strings become {@code ""} and absent lists empty,
 * as over the wire, so that the engine (not this class) validates them.
 */
public final class EngineRequests {
  private EngineRequests() {}

  /** The scenario's {@code limits}, each absent one at its default. */
  public static Limits limits(JsonNode json) {
    Limits d = Limits.defaults();
    if (json == null || json.isNull()) {
      return d;
    }
    return new Limits(
        json.path("max_records").asInt(d.maxRecords()),
        json.path("max_descriptors").asInt(d.maxDescriptors()),
        json.path("max_identity_bytes").asInt(d.maxIdentityBytes()),
        json.path("max_attr_value_bytes").asInt(d.maxAttrValueBytes()));
  }

  /** Records of an upsert. */
  static List<RecordInput> records(JsonNode json) {
    return list(json, r -> new RecordInput(recordIdentity(r), descriptors(r.path("descriptors"))));
  }

  private static Identity recordIdentity(JsonNode r) {
    return Identity.of(text(r, "entity_type"), text(r, "perspective"), text(r, "uid"));
  }

  private static List<Descriptor> descriptors(JsonNode json) {
    return list(
        json,
        d -> {
          JsonNode interval = d.get("interval");
          return Descriptor.of(
              text(d, "attr"), text(d, "value"), side(interval, 0), side(interval, 1));
        });
  }

  /** Identities of a delete. */
  static List<Identity> identities(JsonNode json) {
    return list(json, ScenarioJson::identity);
  }

  /** An ontology document. */
  static Ontology ontology(JsonNode json) {
    return new Ontology(
        list(
            json.path("identity_keys"),
            k -> new IdentityKey(text(k, "name"), strings(k.path("attributes")), types(k))),
        list(
            json.path("strong_identifiers"),
            s -> new StrongIdentifier(text(s, "attribute"), types(s))),
        list(
            json.path("constraints"),
            c ->
                new Constraint(text(c, "name"), text(c, "attribute"), constraintKind(c), types(c))),
        list(
            json.path("ignored_values"),
            i -> new IgnoredValues(text(i, "attribute"), strings(i.path("values")), types(i))));
  }

  private static ConstraintKind constraintKind(JsonNode c) {
    String kind = text(c, "kind");
    for (ConstraintKind k : ConstraintKind.values()) {
      if (k.name().equals(kind)) {
        return k;
      }
    }
    return null;
  }

  private static List<String> types(JsonNode element) {
    return strings(element.path("entity_types"));
  }

  /** A query request {@code {"descriptors", "window"?, "entity_type"?, "return_all"?}}. */
  static QueryRequest query(JsonNode json) {
    JsonNode window = json.get("window");
    return new QueryRequest(
        list(json.path("descriptors"), d -> new AttrValue(text(d, "attr"), text(d, "value"))),
        ScenarioJson.windowStart(window),
        ScenarioJson.windowEnd(window),
        optionalText(json, "entity_type"),
        json.path("return_all").asBoolean(false));
  }

  /** The {@code kinds} of a conflict filter. */
  static Set<ConflictItem.Kind> kinds(JsonNode json) {
    Set<ConflictItem.Kind> out = EnumSet.noneOf(ConflictItem.Kind.class);
    for (String k : strings(json)) {
      out.add(ConflictItem.Kind.valueOf(k));
    }
    return out;
  }

  private static List<String> strings(JsonNode json) {
    return list(json, JsonNode::asText);
  }

  private static <T> List<T> list(JsonNode json, Function<JsonNode, T> element) {
    List<T> out = new ArrayList<>();
    if (json != null) {
      json.forEach(n -> out.add(element.apply(n)));
    }
    return out;
  }
}
