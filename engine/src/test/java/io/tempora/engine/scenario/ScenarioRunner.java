package io.tempora.engine.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Runs {@code tempora-scenario/1} files (see {@code shared/scenarios/README.md}): the main {@code
 * steps} and then each variant, each on a fresh service from the factory, checking every step's
 * {@code expect} and then the final {@code expect}. Collects all mismatches instead of stopping at
 * the first; each names the scenario, the run (steps or variant), the step and the JSON path with
 * expected and actual values.
 */
public final class ScenarioRunner {
  /** The format this runner implements. */
  public static final String FORMAT = "tempora-scenario/1";

  /** Small on purpose, so that "all pages" exercises page tokens. */
  static final int CONFLICT_PAGE_SIZE = 2;

  private static final int MAX_PAGES = 100_000;

  /** Fields a multi-shard runner leaves unchecked: ids and tx numbers (README, Values). */
  static final Set<String> MULTI_SHARD_SKIPPED =
      Set.of(
          "record_id",
          "entity_id",
          "related_ids",
          "requested",
          "resolved",
          "aliases",
          "id",
          "tx",
          "deleted_tx");

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final ScenarioClient.Factory factory;

  /**
   * @param factory opens a fresh empty service per run
   */
  public ScenarioRunner(ScenarioClient.Factory factory) {
    this.factory = factory;
  }

  /** Runs one scenario file; returns its mismatches, empty when it passes. */
  public List<String> run(Path file) throws IOException {
    JsonNode scenario = MAPPER.readTree(file.toFile());
    String name = scenario.path("name").asText(file.getFileName().toString());
    List<String> out = new ArrayList<>();
    if (!FORMAT.equals(scenario.path("format").asText())) {
      out.add(name + ": format " + scenario.get("format") + " is not " + FORMAT);
      return out;
    }
    JsonNode ontology = scenario.get("ontology");
    JsonNode expect = scenario.get("expect");
    JsonNode limits = scenario.get("limits");
    run(name + " | steps", limits, ontology, scenario.path("steps"), expect, out);
    JsonNode variants = scenario.path("variants");
    for (int i = 0; i < variants.size(); i++) {
      JsonNode v = variants.get(i);
      String label = name + " | variants[" + i + "] \"" + v.path("name").asText() + "\"";
      JsonNode vo = v.has("ontology") ? v.get("ontology") : ontology;
      run(label, limits, vo, v.path("steps"), expect, out);
    }
    return out;
  }

  private void run(
      String label,
      JsonNode limits,
      JsonNode ontology,
      JsonNode steps,
      JsonNode expect,
      List<String> out) {
    try (ScenarioClient client = factory.open(limits)) {
      Run run = new Run(label, client, out);
      if (ontology != null && !ontology.isNull()) {
        JsonNode actual = client.setOntology(ontology, null);
        if (actual.has("error")) {
          run.report("ontology", "$: set_ontology failed: " + JsonMatcher.render(actual));
        }
      }
      for (int i = 0; i < steps.size(); i++) {
        run.step(steps.get(i), "steps[" + i + "]");
      }
      if (expect != null && !expect.isNull()) {
        run.reads(expect, "expect");
      }
    }
  }

  /** One run of a step list on one service. */
  private static final class Run {
    private final String label;
    private final ScenarioClient client;
    private final JsonMatcher matcher;
    private final List<String> out;

    Run(String label, ScenarioClient client, List<String> out) {
      this.label = label;
      this.client = client;
      this.matcher = new JsonMatcher(client.singleShard() ? Set.of() : MULTI_SHARD_SKIPPED);
      this.out = out;
    }

    void report(String where, String mismatch) {
      out.add(label + " | " + where + " | " + mismatch);
    }

    void check(JsonNode expected, JsonNode actual, String where, String path) {
      for (String m : matcher.match(expected, actual, path)) {
        report(where, m);
      }
    }

    void step(JsonNode step, String at) {
      String op = step.path("op").asText();
      String where = at + " (" + op + ")";
      JsonNode expect = step.get("expect");
      JsonNode actual;
      switch (op) {
        case "upsert" -> actual = client.upsert(step.path("records"));
        case "delete" -> actual = client.delete(step.path("identities"));
        case "set_ontology" -> {
          JsonNode ev = step.get("expected_version");
          Integer expected = ev == null || ev.isNull() ? null : ev.asInt();
          actual = client.setOntology(step.path("ontology"), expected);
        }
        case "check" -> {
          if (expect != null) {
            reads(expect, where);
          }
          return;
        }
        default -> {
          report(where, "unknown op " + step.get("op"));
          return;
        }
      }
      if (expect != null) {
        check(expect, actual, where, "$");
      } else if (actual.has("error")) {
        report(where, "$: unexpected error " + JsonMatcher.render(actual));
      }
    }

    /** The read expectations of a {@code check} step or the final {@code expect}. */
    void reads(JsonNode expect, String where) {
      for (Map.Entry<String, JsonNode> e : expect.properties()) {
        String path = "$." + e.getKey();
        JsonNode exp = e.getValue();
        switch (e.getKey()) {
          case "ontology_version" -> check(exp, client.ontologyVersion(), where, path);
          case "partition" -> check(exp, client.partition(), where, path);
          case "conflicts" -> {
            JsonNode all = allConflicts(ScenarioJson.NODES.objectNode());
            check(exp, all.has("error") ? all : all.path("items"), where, path);
          }
          case "conflict_queries" ->
              each(exp, where, path, "result", q -> allConflicts(q.path("filter")), "filter");
          case "golden" ->
              each(
                  exp,
                  where,
                  path,
                  null,
                  q -> client.golden(q.get("entity"), q.get("window")),
                  "entity",
                  "window");
          case "queries" ->
              each(exp, where, path, "result", q -> client.query(q.path("request")), "request");
          case "explain" ->
              each(
                  exp,
                  where,
                  path,
                  "result",
                  q -> client.explain(q.get("a"), q.get("b")),
                  "a",
                  "b");
          case "records" ->
              each(exp, where, path, "result", q -> client.record(q.get("identity")), "identity");
          case "entities" -> {
            // The request itself is an id, meaningless on several shards.
            if (client.singleShard()) {
              each(
                  exp,
                  where,
                  path,
                  "result",
                  q -> client.entity(q.path("id").asText(), q.get("window")),
                  "id",
                  "window");
            }
          }
          case "events" -> check(exp, client.events(), where, path);
          default -> report(where, path + ": unknown expectation key");
        }
      }
    }

    /**
     * A list of {request…, answer} expectations: the answer is field {@code answerKey}, or (when
     * null) the item without its request fields.
     */
    private void each(
        JsonNode list,
        String where,
        String path,
        String answerKey,
        Function<JsonNode, JsonNode> call,
        String... requestKeys) {
      for (int i = 0; i < list.size(); i++) {
        JsonNode item = list.get(i);
        ObjectNode request = ScenarioJson.NODES.objectNode();
        ObjectNode rest = item.deepCopy();
        for (String k : requestKeys) {
          if (item.has(k)) {
            request.set(k, item.get(k));
          }
          rest.remove(k);
        }
        String at = path + "[" + i + "]" + abbreviate(request.toString());
        JsonNode actual = call.apply(item);
        if (answerKey == null) {
          check(rest, actual, where, at);
        } else {
          check(item.path(answerKey), actual, where, at + "." + answerKey);
        }
      }
    }

    private static String abbreviate(String s) {
      return s.length() <= 160 ? s : s.substring(0, 160) + "…}";
    }

    /** ListConflicts over all pages: {@code {"items"}} or the first error. */
    private JsonNode allConflicts(JsonNode filter) {
      ArrayNode items = ScenarioJson.NODES.arrayNode();
      String token = null;
      for (int page = 0; page < MAX_PAGES; page++) {
        JsonNode p = client.listConflicts(filter, CONFLICT_PAGE_SIZE, token);
        if (p.has("error")) {
          return p;
        }
        if (!p.path("items").isArray()) {
          return ScenarioJson.error("INTERNAL", "ListConflicts page without items: " + p);
        }
        items.addAll((ArrayNode) p.get("items"));
        token = ScenarioJson.optionalText(p, "next_page_token");
        if (token == null || token.isEmpty()) {
          return ScenarioJson.NODES.objectNode().set("items", items);
        }
      }
      return ScenarioJson.error("INTERNAL", "ListConflicts pagination did not end");
    }
  }
}
