/**
 * Incremental re-resolution of one transaction (DOMAIN.md §5.3, §6): writes record changes and
 * postings, recomputes the touched components, assigns entity ids and events, and rewrites the
 * conflict units touched.
 */
package io.tempora.engine.resolve;
