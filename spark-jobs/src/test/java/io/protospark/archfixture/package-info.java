/**
 * Test fixtures only: a small package graph (entry, train, spark, examples) that breaks each rule of
 * {@code io.protospark.jobs.ArchitectureTest}, so the test can show that every rule fails when it should.
 */
package io.protospark.archfixture;
