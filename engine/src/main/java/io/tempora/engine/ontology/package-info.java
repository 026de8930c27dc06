/**
 * The ontology document (DOMAIN.md §3): identity keys, strong identifiers, constraints and ignored
 * values, its validation, and the key tuples a record yields (§4).
 */
package io.tempora.engine.ontology;
