package io.tempora.engine.store;

import io.tempora.engine.temporal.IntervalSet;

/**
 * One row of a posting list: a record and the interval set of the tuple or value in it.
 *
 * @param recordId the record
 * @param intervals where the record holds the tuple or value
 */
public record Posting(long recordId, IntervalSet intervals) {}
