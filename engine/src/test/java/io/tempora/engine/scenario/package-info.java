/**
 * The acceptance-scenario runner: executes the shared {@code tempora-scenario/1} files against a
 * {@link io.tempora.engine.scenario.ScenarioClient}, in-process here and over gRPC or a router
 * elsewhere, and reports every mismatch with its JSON path.
 */
package io.tempora.engine.scenario;
