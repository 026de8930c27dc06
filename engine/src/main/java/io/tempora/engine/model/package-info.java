/**
 * Immutable domain values: identities in canonical order, descriptors and their normal form, record
 * versions, entity rows and events, and the id layout.
 */
package io.tempora.engine.model;
