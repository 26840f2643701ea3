package io.protospark.jobs.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.client.TransportClientFactory;
import org.apache.spark.network.crypto.AuthClientBootstrap;
import org.apache.spark.network.sasl.SecretKeyHolder;
import org.apache.spark.network.server.NoOpRpcHandler;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Spark authentication with a standalone master. Standalone clusters share one secret between the master, the
 * workers and every application (YARN and Kubernetes generate one per application). The driver reads it from the
 * file named by {@value #SECRET_FILE_ENV}, so that it appears on no command line. Before the application registers,
 * the driver checks the master accepts it. Spark itself would retry for a minute and then fail with "All masters are
 * unresponsive".
 */
public final class ClusterAuth {
    /** Environment variable naming a file that holds a standalone cluster's {@code spark.authenticate.secret}. */
    public static final String SECRET_FILE_ENV = "PROTOSPARK_SPARK_SECRET_FILE";
    private static final String AUTHENTICATE = "spark.authenticate";
    private static final String SECRET = "spark.authenticate.secret";
    /** The user name Spark's RPC environment authenticates as (SecurityManager.getSaslUser). */
    private static final String RPC_USER = "sparkSaslUser";

    private ClusterAuth() {
    }

    /**
     * The secret is missing or unreadable, no master of the URL could be reached, or a master refused this
     * application's authentication.
     */
    public static final class ClusterAuthException extends RuntimeException {
        ClusterAuthException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * For a standalone master ({@code spark://}) with {@code spark.authenticate} on: sets the secret from the file
     * named by {@value #SECRET_FILE_ENV} when no secret is set, then connects to every master of the URL with it. Does
     * nothing for other masters or with authentication off.
     *
     * @param env the environment ({@code System::getenv})
     * @throws ClusterAuthException no secret is set and the secret file is not named, missing or empty; or no master
     *                              of the URL could be reached, or one refused the secret
     */
    public static void prepare(SparkConf conf, UnaryOperator<String> env) {
        String master = conf.get("spark.master", "");
        if (!master.startsWith("spark://") || !conf.getBoolean(AUTHENTICATE, false)) {
            return;
        }
        if (!conf.contains(SECRET)) {
            String file = env.apply(SECRET_FILE_ENV);
            if (file == null || file.isBlank()) {
                throw new ClusterAuthException(AUTHENTICATE + " is on and the master " + master + " is a standalone"
                        + " cluster, which needs the cluster's shared secret: set " + SECRET_FILE_ENV + " to a file"
                        + " holding it (" + SECRET + " of its master and workers), or run without authentication"
                        + " (submit/protospark --insecure) on a cluster that has none", null);
            }
            conf.set(SECRET, readSecret(Path.of(file)));
        }
        check(master, conf);
    }

    private static String readSecret(Path file) {
        String secret;
        try {
            secret = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ClusterAuthException("cannot read the Spark secret file " + file + " (" + SECRET_FILE_ENV
                    + "): " + e, e);
        }
        if (secret.isEmpty()) {
            throw new ClusterAuthException("the Spark secret file " + file + " (" + SECRET_FILE_ENV
                    + ") is empty; it must hold the cluster's " + SECRET, null);
        }
        return secret;
    }

    /** Opens one authenticated RPC connection to each master of a {@code spark://} URL, as the driver will. */
    static void check(String masterUrl, SparkConf conf) {
        Map<String, String> settings = new HashMap<>();
        for (scala.Tuple2<String, String> kv : conf.getAll()) {
            settings.put(kv._1(), kv._2());
        }
        settings.putIfAbsent("spark.rpc.io.connectionTimeout", "15s");
        settings.putIfAbsent("spark.network.auth.rpcTimeout", "15s");
        TransportConf transport = new TransportConf("rpc", new MapConfigProvider(settings));
        String secret = conf.get(SECRET);
        SecretKeyHolder holder = new SecretKeyHolder() {
            @Override
            public String getSaslUser(String appId) {
                return RPC_USER;
            }

            @Override
            public String getSecretKey(String appId) {
                return secret;
            }
        };
        List<String> unreachable = new ArrayList<>();
        Exception lastUnreachable = null;
        try (TransportContext context = new TransportContext(transport, new NoOpRpcHandler());
             TransportClientFactory clients = context.createClientFactory(
                     List.of(new AuthClientBootstrap(transport, RPC_USER, holder)))) {
            for (String hostPort : masterUrl.substring("spark://".length()).split(",")) {
                int colon = hostPort.lastIndexOf(':');
                String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
                int port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
                try {
                    clients.createUnmanagedClient(host, port).close();
                    return; // this master accepted the secret: Spark registers with it (or fails over from it)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ClusterAuthException("interrupted while connecting to " + masterUrl, e);
                } catch (Exception e) {
                    if (causedBy(e, ConnectException.class)) {
                        unreachable.add(hostPort);
                        lastUnreachable = e;
                        continue;
                    }
                    throw new ClusterAuthException("the Spark master spark://" + hostPort + " refused this "
                            + "application's authentication: the secret (" + SECRET + ", from " + SECRET_FILE_ENV
                            + " or --spark-conf) is not the cluster's, or the cluster runs without authentication"
                            + " (then submit with --insecure); " + rootMessage(e), e);
                }
            }
        }
        throw new ClusterAuthException("no Spark master of " + masterUrl + " could be reached (" + unreachable
                + "): is the master running, and is the URL its own (see its log's \"Starting Spark master at\")?",
                lastUnreachable);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
