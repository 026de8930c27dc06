package io.tempora.engine.link;

import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.Identity;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.temporal.IntervalSet;
import java.util.SortedMap;

/**
 * A live record as linking sees it: id, identity, normal-form descriptors and its key tuples under
 * one ontology.
 *
 * @param recordId the record id
 * @param identity the identity
 * @param descriptors normal form
 * @param tuples key tuples with their interval sets
 */
public record LiveRecord(
    long recordId,
    Identity identity,
    Descriptors descriptors,
    SortedMap<TupleKey, IntervalSet> tuples) {}
