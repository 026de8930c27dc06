/**
 * The link graph and the canonical partition of DOMAIN.md §4–§5: linkable neighbours through key
 * postings, link components, strong-conflict summaries and {@code split(C)}.
 */
package io.tempora.engine.link;
