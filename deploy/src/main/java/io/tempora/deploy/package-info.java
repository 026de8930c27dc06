/**
 * Launchers, configuration loading and packaging for Tempora: the entry points that the scripts in
 * {@code bin/} run. It is the only module that reads flags, environment and files, and the only one
 * that calls {@code System.exit}.
 */
package io.tempora.deploy;
