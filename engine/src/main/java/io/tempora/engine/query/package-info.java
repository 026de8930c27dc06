/**
 * Read-side computations over a store view: queries with the conflict rule (DOMAIN.md §9), Explain
 * (§10) and ListConflicts filtering and paging (§7.4).
 */
package io.tempora.engine.query;
