/**
 * {@code protospark report} ({@link io.protospark.jobs.report.ReportJob}): a run directory's training curves,
 * prototypes and evaluations as one self-contained HTML page with JFreeChart charts, read on the driver without Spark.
 */
package io.protospark.jobs.report;
