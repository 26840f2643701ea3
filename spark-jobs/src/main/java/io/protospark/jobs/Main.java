package io.protospark.jobs;

import com.typesafe.config.Config;
import io.protospark.config.ConfigLocation;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.data.PrepareJob;
import io.protospark.data.PrepareResult;
import io.protospark.data.PrepareSettings;
import io.protospark.data.io.DataFormatException;
import io.protospark.jobs.report.ReportJob;
import io.protospark.jobs.spark.SessionSource;
import io.protospark.jobs.train.Provenance;
import io.protospark.jobs.train.TrainLoop;
import io.protospark.jobs.train.TrainSettings;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * The entry point of the job jar: {@code protospark COMMAND ...} (see {@link CommandLine}).
 *
 * <p>Loads and validates the configuration on the driver before Spark starts, then runs the command's
 * {@code run(settings)}. Exit codes: 0 success, 1 a failure while running (bad data, I/O), 2 a usage or
 * configuration error.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        QuietStdout.install();
        int code = execute(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a command line; returns the exit code. Output goes to {@code out}, errors to {@code err}. */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        return execute(args, out, err, SessionSource.OWN);
    }

    /**
     * {@link #execute(String[], PrintStream, PrintStream)} with the Spark session of {@code prepare} and {@code train}
     * from {@code sessions} (the command line's own: {@link SessionSource#OWN}).
     */
    static int execute(String[] args, PrintStream out, PrintStream err, SessionSource sessions) {
        CommandLine cl;
        Config config;
        try {
            cl = CommandLine.parse(args);
            if (cl.help()) {
                out.println(CommandLine.usage());
                return 0;
            }
            if ("assign".equals(cl.command()) && cl.overrides().stream().anyMatch(o -> o.startsWith("assign.cost="))) {
                AssignJob.startWarmUp(); // compiles the dense solver while the configuration and matrix load
            }
            // bench reads only its own bench.* flags (checked by BenchJob.Settings), not the training config
            config = "bench".equals(cl.command()) ? null : loadConfig(cl);
        } catch (SettingsException | CommandLine.UsageException e) {
            err.println("protospark: " + e.getMessage());
            if (e instanceof CommandLine.UsageException) {
                err.println(CommandLine.usage());
            }
            return 2;
        } catch (IllegalArgumentException | IOException e) {
            err.println("protospark: " + e.getMessage());
            return 2;
        }
        // DL4J writes a memory crash dump into the current directory on every ND4J out-of-memory; the launcher explains
        // an out-of-memory itself, and train puts the dumps into a local run directory (TrainLoop.crashDumpsInto)
        org.deeplearning4j.util.CrashReportingUtil.crashDumpsEnabled(false);
        try {
            switch (cl.command()) {
                case "validate" -> out.print(ValidateJob.run(config).render());
                case "spark-conf" -> SparkConfJob.lines(config, cl.master()).forEach(out::println);
                case "import" -> out.println(io.protospark.jobs.pretrained.ImportJob.run(
                        io.protospark.jobs.pretrained.ImportJob.Settings.from(config), new Configuration()).line());
                case "assign" -> out.println(AssignJob.run(AssignJob.Settings.from(config)).jsonLine());
                case "bench" -> out.println(BenchJob.run(BenchJob.Settings.from(cl.overrides())).jsonLine());
                case "prototypes" -> out.println(PrototypesJob.run(PrototypesJob.Settings.from(config)).jsonLine());
                case "report" -> {
                    ReportJob.Result r = ReportJob.run(ReportJob.Settings.from(config), new Configuration());
                    out.printf(Locale.ROOT, "report %s (%d charts; PNG files beside it) in %.1f s%n", r.html(),
                            r.charts(), r.seconds());
                }
                case "prepare" -> {
                    PrepareSettings settings = PrepareSettings.from(config);
                    SparkSession spark = sessions.open("protospark prepare", cl.master(), sparkConf(config));
                    try {
                        PrepareResult r = PrepareJob.run(settings, spark);
                        out.printf(Locale.ROOT, "prepared %s: %s in %.1f s%n", r.output(), r.examples(), r.seconds());
                    } finally {
                        sessions.release(spark);
                    }
                }
                case "train" -> {
                    TrainJob.Settings settings = TrainJob.Settings.from(config);
                    SparkSession spark = sessions.open("protospark train", cl.master(),
                            settings.train().sparkConf());
                    try {
                        TrainLoop.Result r = TrainJob.run(settings, spark);
                        if (r.alreadyComplete()) {
                            out.printf(Locale.ROOT, "run directory %s holds this run, already completed: test "
                                    + "accuracy %.4f after %d epochs; nothing to do%n", r.runDir(),
                                    r.testAccuracy(), r.epochs().size());
                        } else {
                            out.printf(Locale.ROOT, "test accuracy %.4f after %d epochs (%.1f s, %d workers); run "
                                            + "directory %s%n", r.testAccuracy(), r.epochs().size(), r.seconds(),
                                    r.workers(), r.runDir());
                        }
                    } finally {
                        sessions.release(spark);
                    }
                }
                case "evaluate" -> {
                    io.protospark.jobs.eval.EvaluateJob.Settings settings =
                            io.protospark.jobs.eval.EvaluateJob.Settings.from(config);
                    SparkSession spark = sessions.open("protospark evaluate", cl.master(), sparkConf(config));
                    try {
                        var r = io.protospark.jobs.eval.EvaluateJob.run(settings, spark);
                        out.printf(Locale.ROOT, "%s; %s and %s in %s (%.1f s)%n", r.summary(),
                                io.protospark.jobs.eval.EvaluateJob.EVALUATION,
                                io.protospark.jobs.eval.EvaluateJob.PREDICTIONS, r.out(), r.seconds());
                    } finally {
                        sessions.release(spark);
                    }
                }
                case "embed" -> {
                    io.protospark.jobs.eval.EmbedJob.Settings settings =
                            io.protospark.jobs.eval.EmbedJob.Settings.from(config);
                    SparkSession spark = sessions.open("protospark embed", cl.master(), sparkConf(config));
                    try {
                        var r = io.protospark.jobs.eval.EmbedJob.run(settings, spark);
                        out.printf(Locale.ROOT, "%d embeddings of dimension %d in %s (%.1f s)%n", r.rows(), r.dim(),
                                r.out(), r.seconds());
                    } finally {
                        sessions.release(spark);
                    }
                }
                default -> throw new IllegalStateException("unhandled command " + cl.command());
            }
            return 0;
        } catch (SettingsException e) {
            err.println("protospark: " + e.getMessage());
            return 2;
        } catch (DataFormatException e) {
            err.println("protospark: " + e.getMessage());
            return 1;
        } catch (TrainLoop.RunDirectoryInUseException e) {
            err.println("protospark: " + e.getMessage());
            return 3;
        } catch (io.protospark.jobs.spark.ClusterAuth.ClusterAuthException e) {
            err.println("protospark: " + e.getMessage());
            return 2;
        } catch (TrainLoop.DivergedException e) {
            err.println("protospark: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            LOG.error("{} failed", cl.command(), e);
            err.println("protospark: " + cl.command() + " failed: " + e);
            return 1;
        } catch (OutOfMemoryError e) {
            LOG.error("{} ran out of memory", cl.command(), e);
            err.println("protospark: " + cl.command() + " ran out of memory: " + e.getMessage());
            err.println("protospark: " + Provenance.memoryLimits());
            err.println("protospark: raise PROTOSPARK_OFFHEAP (ND4J) or PROTOSPARK_DRIVER_MEMORY (heap) if the machine "
                    + "has the memory, or lower protospark.train.batch-size or protospark.train.workers");
            return 1;
        }
    }

    /**
     * Reference defaults, then the experiment file (a local path or any Hadoop FS URI) with the files it includes
     * (relative to it, on its file system), then the overrides.
     */
    static Config loadConfig(CommandLine cl) throws IOException {
        return loadConfig(cl, new Configuration());
    }

    /** As {@link #loadConfig(CommandLine)}, reading a {@code --conf} on a Hadoop file system with {@code hadoop}. */
    static Config loadConfig(CommandLine cl, Configuration hadoop) throws IOException {
        if (cl.confFile() == null) {
            return Configs.load((Config) null, cl.overrides());
        }
        ConfigLocation conf = confLocation(cl.confFile(), hadoop);
        if (!conf.exists()) {
            throw new IllegalArgumentException("config file " + cl.confFile() + " (--conf) does not exist");
        }
        return Configs.load(Configs.parse(conf), cl.overrides());
    }

    /** The file {@code --conf} names: a local file, or a file on a Hadoop file system (hdfs:, s3a:, ...). */
    static ConfigLocation confLocation(String confFile, Configuration hadoop) throws IOException {
        java.net.URI uri = TrainSettings.toUri("--conf", confFile);
        if ("file".equals(uri.getScheme())) {
            return ConfigLocation.of(new java.io.File(uri));
        }
        Path p = new Path(uri);
        FileSystem fs = p.getFileSystem(hadoop);
        return new HadoopConfigLocation(fs, fs.makeQualified(p));
    }

    private static Map<String, String> sparkConf(Config c) {
        return TrainSettings.sparkConfOf(c);
    }
}
