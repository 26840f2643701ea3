package io.protospark.jobs.train;

import io.protospark.config.Configs;
import io.protospark.jobs.spark.SharedSpark;
import io.protospark.model.head.Decision;
import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetLosses;
import io.protospark.model.net.FixedHead;
import io.protospark.model.net.ModelSettings;
import io.protospark.model.net.Networks;
import io.protospark.model.prototype.Prototypes;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Evaluator} on the shared local Spark session, which runs each minibatch through the network once, against
 * the two passes it replaces, done here on the driver's network partition by partition: the predictor's own forward
 * pass (the argmax of {@code outputSingle}, or the decision rule on the feature) and {@code score(ds, false)} for the
 * loss. Softmax, fixed-prototype and target-loss heads, in float and in double, each with a regularisation term that
 * the loss sum must include (it is far above the tolerance); half of the labels are the network's own predictions,
 * so a wrong prediction rule would change the number of correct ones.
 */
class EvaluatorTest {
    private static final double FLOAT_TOLERANCE = 1e-5;
    private static final double DOUBLE_TOLERANCE = 1e-9;

    @TempDir
    Path tmp;

    private static ModelSettings settings(String... overrides) {
        List<String> o = new ArrayList<>(List.of("model.input.height=12", "model.input.width=12",
                "model.conv-channels=[4, 8]", "model.hidden=[16]"));
        o.addAll(List.of(overrides));
        return ModelSettings.from(Configs.load(null, "test", o));
    }

    /** The classes the evaluation predicted before it was one pass: its own forward pass per minibatch. */
    private static int[] twoPassPrediction(ComputationGraph net, ModelSettings m, INDArray features) {
        Decision rule = m.head().decision();
        boolean target = m.head().loss().isTarget();
        if (rule == Decision.DOT && !target) {
            return net.outputSingle(false, features).argMax(1).toIntVector();
        }
        INDArray f = target ? net.outputSingle(false, features)
                : net.feedForward(features, false).get(Networks.feature(m));
        return rule.predict(f.castTo(DataType.DOUBLE), FixedHead.prototypes(net).castTo(DataType.DOUBLE));
    }

    /**
     * Minibatches of uneven sizes: random images, every other label the network's own two-pass prediction, the rest
     * drawn at random.
     */
    private static List<DataSet> data(ComputationGraph net, ModelSettings m, DataType type) {
        Random random = new Random(11);
        Nd4j.getRandom().setSeed(11);
        List<DataSet> out = new ArrayList<>();
        for (int size : new int[]{32, 32, 17, 32, 5, 32, 29}) {
            INDArray x = Nd4j.rand(type, size, m.input().channels(), m.input().height(), m.input().width());
            int[] predicted = twoPassPrediction(net, m, x);
            INDArray y = Nd4j.zeros(type, size, m.classes());
            for (int i = 0; i < size; i++) {
                y.putScalar(i, i % 2 == 0 ? predicted[i] : random.nextInt(m.classes()), 1.0);
            }
            out.add(new DataSet(x, y));
        }
        return out;
    }

    /** The evaluation of {@code net} and the two-pass one agree, in three partitions. */
    private static void check(ComputationGraph net, ModelSettings m, DataType type, double tolerance) {
        JavaSparkContext jsc = SharedSpark.context();
        JavaRDD<DataSet> rdd = jsc.parallelize(data(net, m, type), 3);
        Evaluator.Score one = Evaluator.evaluate(jsc, net, rdd, TrainLoop.predictor(m));

        Evaluator.Score two = new Evaluator.Score(0, 0, 0);
        for (List<DataSet> partition : rdd.glom().collect()) {
            long correct = 0;
            long n = 0;
            double loss = 0;
            for (DataSet ds : partition) {
                int[] predicted = twoPassPrediction(net, m, ds.getFeatures());
                int[] truth = ds.getLabels().argMax(1).toIntVector();
                for (int i = 0; i < truth.length; i++) {
                    correct += predicted[i] == truth[i] ? 1 : 0;
                }
                int size = ds.numExamples();
                loss += net.score(ds, false) * size;
                n += size;
            }
            two = two.plus(new Evaluator.Score(correct, n, loss));
        }

        assertEquals(two.examples(), one.examples());
        assertEquals(two.correct(), one.correct(), "correct top-1 predictions");
        assertTrue(one.correct() >= one.examples() / 2, "half of the labels are predictions: " + one);
        assertEquals(two.lossSum(), one.lossSum(), tolerance * Math.abs(two.lossSum()), "summed loss");
        // the test could tell a loss without the regularisation from the score's
        double regularization = net.calcRegularizationScore(true) * one.examples();
        assertTrue(regularization > 100 * tolerance * Math.abs(two.lossSum()),
                "regularisation " + regularization + " of a loss sum " + two.lossSum());
    }

    @Test
    void softmaxHeadWithL2AndHypersphericalEnergy() {
        // a learned OutputLayer with protospark's epsilon cross-entropy; L2 (sgd) and CoMHE's random projections
        ModelSettings m = settings("model.head.kind=learned", "model.head.log-epsilon=1e-4",
                "model.optimizer.name=sgd", "model.optimizer.weight-decay=5e-3", "model.energy.form=2",
                "model.energy.projection=random", "model.energy.projection-dim=4", "model.energy.projections=3");
        ComputationGraph net = Networks.build(m, Prototypes.build(m));
        check(net, m, DataType.FLOAT, FLOAT_TOLERANCE);
        check(net.convertDataType(DataType.DOUBLE), m, DataType.DOUBLE, DOUBLE_TOLERANCE);
    }

    @Test
    void fixedPrototypeHeadWithDecoupledWeightDecay() {
        // the fixed simplex head and the softmax loss layer; AdamW's decay on every trainable layer
        ModelSettings m = settings("model.optimizer.name=adamw", "model.optimizer.weight-decay=1e-2");
        ComputationGraph net = Networks.build(m, Prototypes.build(m));
        check(net, m, DataType.FLOAT, FLOAT_TOLERANCE);
        check(net.convertDataType(DataType.DOUBLE), m, DataType.DOUBLE, DOUBLE_TOLERANCE);
    }

    @Test
    void targetLossByReferenceWithL2() throws Exception {
        // DSC's Nirvana MSE on the embedding, nearest-centre rule; the targets published as a file, as training does
        ModelSettings m = settings("model.head.loss=nirvana-mse", "model.head.prototypes=dsc-centres",
                "model.optimizer.weight-decay=5e-3");
        ComputationGraph built = Networks.build(m, Prototypes.build(m));
        try (RunDirectory run = RunDirectory.createNew(tmp.resolve("run").toUri(), new Configuration())) {
            new TargetsPublisher(run, 0).publish(built);
        }
        // the configuration as an averaging round ships it: the loss holds the reference, resolved when read
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(built.getConfiguration());
        }
        ComputationGraphConfiguration conf;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            conf = (ComputationGraphConfiguration) in.readObject();
        }
        ComputationGraph net = new ComputationGraph(conf);
        net.init(built.params().dup(), false);
        TargetLoss loss = TargetLosses.find(net).get(0);
        assertNotNull(loss.targetsRef());
        assertEquals(TargetLosses.find(built).get(0).getTargets(), loss.getTargets());

        check(net, m, DataType.FLOAT, FLOAT_TOLERANCE);
        check(net.convertDataType(DataType.DOUBLE), m, DataType.DOUBLE, DOUBLE_TOLERANCE);
    }
}
