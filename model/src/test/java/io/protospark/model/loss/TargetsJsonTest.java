package io.protospark.model.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.serde.jackson.shaded.NDArrayTextSerializer;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.module.SimpleModule;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/** The targets travel in the configuration JSON as exact base64 doubles; the older text form still loads. */
class TargetsJsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static INDArray targets() {
        Nd4j.getRandom().setSeed(21);
        // values that decimal text with few digits would not keep exactly
        return Nd4j.randn(DataType.DOUBLE, 7, 5).muli(Math.PI).addi(1e-17);
    }

    private static JsonNode targetsNode(JsonNode conf) {
        return conf.findValue("targets");
    }

    @Test
    void binaryFormIsExactAndSmallerThanText() throws Exception {
        INDArray t = targets();
        MultiLayerConfiguration conf = LossChecks.conf(new SquaredCosineLoss(t), 3, Activation.IDENTITY);
        String json = conf.toJson();
        JsonNode node = targetsNode(MAPPER.readTree(json));
        assertTrue(node.has("float64le"), node.toString());
        assertEquals(7, node.get("shape").get(0).asInt());
        assertEquals(5, node.get("shape").get(1).asInt());
        TargetLoss back = TargetLosses.find(net(MultiLayerConfiguration.fromJson(json))).get(0);
        // bit for bit
        assertEquals(0.0, back.getTargets().sub(t).amaxNumber().doubleValue(), 0.0);
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 5; j++) {
                assertEquals(Double.doubleToLongBits(t.getDouble(i, j)),
                        Double.doubleToLongBits(back.getTargets().getDouble(i, j)));
            }
        }
        String text = textMapper().writeValueAsString(t);
        assertTrue(node.toString().length() < text.length(), node + " vs " + text);
    }

    @Test
    void textFormOfEarlierConfigurationsStillLoads() throws Exception {
        INDArray t = targets();
        MultiLayerConfiguration conf = LossChecks.conf(new NirvanaMseLoss(t), 3, Activation.IDENTITY);
        JsonNode tree = MAPPER.readTree(conf.toJson());
        ObjectNode holder = (ObjectNode) tree.findParent("targets");
        holder.set("targets", MAPPER.readTree(textMapper().writeValueAsString(t)));
        assertTrue(!holder.get("targets").has("float64le"));
        TargetLoss back = TargetLosses.find(net(MultiLayerConfiguration.fromJson(MAPPER.writeValueAsString(tree))))
                .get(0);
        assertEquals(0.0, back.getTargets().sub(t).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void corruptTargetsAreRefusedWithWhatWasExpected() throws Exception {
        MultiLayerConfiguration conf = LossChecks.conf(new NirvanaMseLoss(targets()), 3, Activation.IDENTITY);
        JsonNode tree = MAPPER.readTree(conf.toJson());
        ObjectNode t = (ObjectNode) targetsNode(tree);
        t.set("shape", MAPPER.readTree("[7, 6]"));
        var e = assertThrows(RuntimeException.class,
                () -> MultiLayerConfiguration.fromJson(MAPPER.writeValueAsString(tree)));
        String message = String.valueOf(e.getMessage()) + " " + (e.getCause() == null ? "" : e.getCause().getMessage());
        assertTrue(message.contains("do not hold a 7×6 float64 matrix"), message);
    }

    private static ObjectMapper textMapper() {
        SimpleModule m = new SimpleModule();
        m.addSerializer(INDArray.class, new NDArrayTextSerializer());
        return new ObjectMapper().registerModule(m);
    }

    private static MultiLayerNetwork net(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

}
