/**
 * Loading, merging and checking protospark's Typesafe configuration. Unknown keys, wrong types and impossible
 * values stop a job on the driver with a {@link io.protospark.config.SettingsException} naming the key.
 */
package io.protospark.config;
