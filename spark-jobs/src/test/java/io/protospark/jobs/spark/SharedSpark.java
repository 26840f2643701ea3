package io.protospark.jobs.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.util.Map;

/**
 * The one local Spark session of the test JVM: created on first use ({@code local[2]}, no UI, driver on
 * 127.0.0.1) and stopped when the JVM exits, so the local-mode tests pay Spark's start-up once, not once per class.
 * Surefire runs all of a module's test classes in one reused JVM (spark-jobs/pom.xml), which is what makes it
 * shared.
 *
 * <p>Tests never stop it (a stopped session makes every later test fail: {@link #session()} says so). A test that
 * needs a session of its own configuration, or has to stop one, is tagged {@value #OWN_SESSION} and runs in a
 * separate JVM (spark-jobs/pom.xml).
 */
public final class SharedSpark {
    /** The tag of the test classes that start and stop a session of their own, in their own JVM. */
    public static final String OWN_SESSION = "own-spark-session";

    /** A command's session ({@code Main.execute}): the shared one, left running when the command ends. */
    public static final SessionSource LENT = SessionSource.lent(SharedSpark::session);

    private static SparkSession session;

    private SharedSpark() {
    }

    /** The shared session, started by the first caller. */
    public static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSessions.create("protospark-test", "local[2]",
                    Map.of("spark.ui.enabled", "false", "spark.driver.host", "127.0.0.1"));
            SparkSession started = session;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "shared-spark-stop"));
        }
        if (session.sparkContext().isStopped()) {
            throw new IllegalStateException("the shared test Spark session was stopped by an earlier test; tests must "
                    + "not stop it (tag a test that needs its own session " + OWN_SESSION + ")");
        }
        return session;
    }

    /** The shared session's Java context. */
    public static JavaSparkContext context() {
        return JavaSparkContext.fromSparkContext(session().sparkContext());
    }
}
