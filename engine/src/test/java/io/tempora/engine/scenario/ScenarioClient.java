package io.tempora.engine.scenario;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A Tempora service as the acceptance scenarios see it (format {@code tempora-scenario/1}, see
 * {@code shared/scenarios/README.md}): requests and answers in the scenario JSON shapes, so the
 * same files can run in-process, over gRPC against one shard, or through a router. Every method
 * returns errors as {@code {"error": {"code", "message"}}} instead of throwing. Entity references
 * inside conflict items and query answers are rendered as the entity's anchor identity; ids inside
 * write, record and entity answers as {@code "rN"}/{@code "eN"}. Not thread-safe; the runner owns
 * it and closes it.
 */
public interface ScenarioClient extends AutoCloseable {

  /** Creates a fresh, empty service for one run of a scenario. */
  @FunctionalInterface
  interface Factory {
    /**
     * Opens a client on a new empty service.
     *
     * @param limits the scenario's {@code limits} object, or null for the defaults of DOMAIN.md
     *     §2.2
     */
    ScenarioClient open(JsonNode limits);
  }

  /**
   * True iff the service is a single shard; a multi-shard service allocates ids and tx numbers per
   * shard, so the runner then skips id fields and tx numbers.
   */
  boolean singleShard();

  /** Upsert of a list of records: {@code {"tx", "items", "events"}} or an error. */
  JsonNode upsert(JsonNode records);

  /** Delete of a list of identities: {@code {"tx", "items", "events"}} or an error. */
  JsonNode delete(JsonNode identities);

  /** SetOntology: {@code {"version", "tx", "events"}} or an error; expectedVersion may be null. */
  JsonNode setOntology(JsonNode ontology, Integer expectedVersion);

  /** The current ontology version, a number. */
  JsonNode ontologyVersion();

  /** Every active entity ordered by anchor, each the list of its member identities. */
  JsonNode partition();

  /**
   * One page of ListConflicts: {@code {"items", "next_page_token"?}} or an error.
   *
   * @param filter {@code {"window"?, "attribute"?, "kinds"?, "entity_type"?, "entity"?}} where
   *     {@code entity} is a member identity standing for the entity holding that record
   * @param pageSize page size (0 = the service default)
   * @param pageToken the previous page's token, or null for the first page
   */
  JsonNode listConflicts(JsonNode filter, int pageSize, String pageToken);

  /** The golden record of the entity holding a record: {@code {"entries"}} or an error. */
  JsonNode golden(JsonNode identity, JsonNode window);

  /** A query: {@code {"matches"}}, {@code {"conflict"}} or an error. */
  JsonNode query(JsonNode request);

  /** Explain of two identities: {@code {"outcome", "path"?, "steps"?, "blocked"?}} or an error. */
  JsonNode explain(JsonNode a, JsonNode b);

  /** GetRecord. */
  JsonNode record(JsonNode identity);

  /** GetEntity of an id written {@code "eN"}, over a window (null = all time). */
  JsonNode entity(String id, JsonNode window);

  /** Every event so far, in order. */
  JsonNode events();

  @Override
  default void close() {}
}
