package io.protospark.jobs.spark;

import org.apache.spark.sql.SparkSession;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Where a command gets its Spark session, and what becomes of the session when the command ends. A command run from
 * the command line owns its session ({@link #OWN}: created by {@link SparkSessions#create}, stopped afterwards); a
 * caller that already runs a session in this JVM lends it instead ({@link #lent}), and it keeps running.
 */
public interface SessionSource {
    /**
     * @param master    master to use when spark-submit did not set one ({@code null}: {@code local[*]})
     * @param sparkConf extra settings from {@code protospark.spark}
     */
    SparkSession open(String appName, String master, Map<String, String> sparkConf);

    /** The command is done with {@code spark}. */
    void release(SparkSession spark);

    /** A session of the command's own, stopped when the command ends. */
    SessionSource OWN = new SessionSource() {
        @Override
        public SparkSession open(String appName, String master, Map<String, String> sparkConf) {
            return SparkSessions.create(appName, master, sparkConf);
        }

        @Override
        public void release(SparkSession spark) {
            spark.stop();
        }
    };

    /** The caller's running session, whatever master and settings the command asks for; never stopped here. */
    static SessionSource lent(Supplier<SparkSession> session) {
        return new SessionSource() {
            @Override
            public SparkSession open(String appName, String master, Map<String, String> sparkConf) {
                return session.get();
            }

            @Override
            public void release(SparkSession spark) {
                // the lender's to stop
            }
        };
    }
}
