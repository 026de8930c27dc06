package io.tempora.engine;

/**
 * GetStats' answer, read from one view in O(1) from the counters the store maintains with every
 * write.
 *
 * @param records live records
 * @param entities active entities
 * @param conflicts conflict items of all kinds, each once
 * @param lastTx the last transaction consumed (0 = none)
 * @param ontologyVersion the ontology version used
 */
public record Stats(
    long records, long entities, long conflicts, long lastTx, int ontologyVersion) {}
