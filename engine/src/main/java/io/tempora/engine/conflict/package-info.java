/**
 * Conflict items of DOMAIN.md §7 (direct, blocked merge, constraint), how each is computed from
 * entity members, and their total order (§7.4) as byte keys for sorted storage and paging.
 */
package io.tempora.engine.conflict;
