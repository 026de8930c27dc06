/**
 * Configuration loading: the table of keys, TOML file, {@code TEMPORA_*} environment and flags
 * layered into immutable {@link io.tempora.deploy.config.Settings}. Only this module reads them;
 * libraries receive records built from the settings.
 */
package io.tempora.deploy.config;
