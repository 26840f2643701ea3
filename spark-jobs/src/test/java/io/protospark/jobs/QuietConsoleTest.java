package io.protospark.jobs;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The console of a run: DL4J/ND4J at WARN, protospark at INFO, and SameDiff's per-op println lines dropped. */
class QuietConsoleTest {
    @Test
    void jobLoggingKeepsDl4jAndNd4jAtWarnAndProtosparkAtInfo() throws Exception {
        LoggerContext context = new LoggerContext("log4j2.properties-check");
        try {
            ConfigurationSource source = ConfigurationSource.fromResource("log4j2.properties",
                    getClass().getClassLoader());
            Configuration config = new PropertiesConfigurationFactory().getConfiguration(context, source);
            config.initialize();
            assertEquals(Level.WARN, config.getRootLogger().getLevel());
            for (String chatty : new String[] {"org.nd4j.autodiff.samediff.SameDiff",
                    "org.nd4j.linalg.factory.Nd4jBackend", "org.nd4j.linalg.api.ops.executioner.DefaultOpExecutioner",
                    "org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster",
                    "org.datavec.image.loader.NativeImageLoader"}) {
                assertEquals(Level.WARN, config.getLoggerConfig(chatty).getLevel(), chatty);
            }
            assertEquals(Level.ERROR,
                    config.getLoggerConfig("org.nd4j.imports.converters.ImportClassMapping").getLevel());
            assertEquals(Level.INFO, config.getLoggerConfig("io.protospark.jobs.train.TrainLoop").getLevel());
            assertEquals(Level.INFO, config.getLoggerConfig("io.protospark.progress").getLevel());
        } finally {
            context.stop();
        }
    }

    @Test
    void quietStdoutDropsOnlySameDiffOpLines() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream quiet = new QuietStdout(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        quiet.println("epoch 1");
        quiet.println(QuietStdout.SAMEDIFF_OP_LINE + "matmul");
        quiet.println("Added differentiated ops are not this line");
        quiet.printf("%s%n", "{\"accuracy\": 0.9}");
        quiet.flush();
        assertEquals(String.join(System.lineSeparator(), "epoch 1", "Added differentiated ops are not this line",
                "{\"accuracy\": 0.9}", ""), bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void sameDiffGradientLinesDoNotReachTheConsole() {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream captured = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try {
            System.setOut(captured);
            SameDiff plain = graph();
            plain.createGradFunction();
            captured.flush();
            assertTrue(bytes.toString(StandardCharsets.UTF_8).contains(QuietStdout.SAMEDIFF_OP_LINE),
                    "SameDiff still prints its op lines with System.out.println (else QuietStdout is not needed)");

            bytes.reset();
            QuietStdout.install();
            SameDiff quiet = graph();
            quiet.createGradFunction();
            System.out.flush();
            assertFalse(bytes.toString(StandardCharsets.UTF_8).contains(QuietStdout.SAMEDIFF_OP_LINE),
                    bytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(original);
        }
    }

    private static SameDiff graph() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 3);
        SDVariable w = sd.var("w", Nd4j.rand(DataType.FLOAT, 3, 2));
        SDVariable loss = sd.math().square(x.mmul(w)).sum();
        sd.setLossVariables(loss);
        return sd;
    }
}
