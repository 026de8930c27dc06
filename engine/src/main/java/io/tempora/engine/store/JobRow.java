package io.tempora.engine.store;

/**
 * One row of the scratch state of an unfinished job (an ontology switch that spilled): an opaque
 * key and value the job encodes itself; the store keeps them in key order (unsigned bytes).
 *
 * @param key the row's key (not empty)
 * @param value the row's value
 */
public record JobRow(byte[] key, byte[] value) {}
