/**
 * Instants, half-open intervals and normalised interval sets (DOMAIN.md §1), UTF-8 byte order, and
 * the timeline that cuts coverages into constant segments.
 */
package io.tempora.engine.temporal;
