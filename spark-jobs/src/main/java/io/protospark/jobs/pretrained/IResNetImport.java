package io.protospark.jobs.pretrained;

import io.protospark.model.fast.ChannelPrelu;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Puts an InsightFace {@code arcface_torch} IResNet state dict ({@code backbones/iresnet.py}: {@code conv1}, {@code bn1},
 * {@code prelu}, {@code layer1…4.<i>.{bn1, conv1, bn2, prelu, conv2, bn3, downsample.0, downsample.1}}, {@code bn2},
 * {@code fc}, {@code features}) into the parameters of protospark's IResNet of the same depth. The layouts:
 * convolution weights are [out, in, kh, kw] on both sides; a linear layer's [out, in] is DL4J's [in, out] transposed
 * (both flatten the 512 × 7 × 7 map in C, H, W order); BatchNorm's γ, β and running mean are copied, its running
 * variance becomes DL4J's log10 σ = ½·log10(var) (ε = 1e-5 is added at use on both sides); a PReLU's slopes are the
 * weights of protospark's depthwise slope convolution. {@code num_batches_tracked} carries nothing and is skipped.
 *
 * <p>Every backbone parameter of the network must be filled and every tensor of the state dict used: keys missing,
 * unexpected or of another shape are refused together, listed. One exception: a network without the backbone's
 * bottleneck (the DSC face "revised" network, {@code model.dam.revised}) has no {@code fc} / {@code features}; their
 * tensors are then dropped and reported.
 */
public final class IResNetImport {
    /** What was imported. */
    public record Report(int tensors, long parameters, List<String> dropped) {
    }

    private enum Kind { CONV, BN, PRELU, DENSE }

    private record Target(String vertex, Kind kind, String field) {
    }

    private static final Pattern BLOCK = Pattern.compile(
            "layer([1-4])\\.(\\d+)\\.(bn1|conv1|bn2|prelu|conv2|bn3|downsample\\.0|downsample\\.1)\\.(\\w+)");
    /** A block's vertex: stage, block (from 1) and part. */
    private static final Pattern BLOCK_VERTEX = Pattern.compile("s([1-4])b(\\d+)_(\\w+)");
    /** A block's modules in arcface_torch → the part of the protospark vertex name. */
    private static final Map<String, String> BLOCK_PART = Map.of("bn1", "bn1", "conv1", "conv1", "bn2", "bn2",
            "prelu", "prelu", "conv2", "conv2", "bn3", "bn3", "downsample.0", "sc_conv", "downsample.1", "sc_bn");
    /** The modules outside the blocks in arcface_torch → protospark vertices. */
    private static final Map<String, String> MODULES = Map.of("conv1", "stem_conv", "bn1", "stem_bn",
            "prelu", "stem_prelu", "bn2", "out_bn", "fc", "fc", "features", "features_bn");

    private IResNetImport() {
    }

    /** The protospark vertex and parameter a state-dict key maps to, or null for a key no IResNet has. */
    static Target target(String key) {
        Matcher m = BLOCK.matcher(key);
        if (m.matches()) {
            String vertex = "s" + m.group(1) + "b" + (Integer.parseInt(m.group(2)) + 1) + "_"
                    + BLOCK_PART.get(m.group(3));
            return new Target(vertex, kind(vertex), m.group(4));
        }
        int dot = key.indexOf('.');
        if (dot < 0 || key.indexOf('.', dot + 1) >= 0) {
            return null;
        }
        String vertex = MODULES.get(key.substring(0, dot));
        return vertex == null ? null : new Target(vertex, kind(vertex), key.substring(dot + 1));
    }

    /** What a backbone vertex holds, by its name. */
    private static Kind kind(String vertex) {
        if (vertex.equals("fc")) {
            return Kind.DENSE;
        }
        if (vertex.endsWith("prelu")) {
            return Kind.PRELU;
        }
        return vertex.contains("bn") ? Kind.BN : Kind.CONV;
    }

    /** Whether the vertex is one the state dict fills. */
    private static boolean isBackbone(String vertex) {
        Matcher m = BLOCK_VERTEX.matcher(vertex);
        return MODULES.containsValue(vertex) || (m.matches() && BLOCK_PART.containsValue(m.group(3)));
    }

    /**
     * Copies {@code stateDict} (keys without a {@code module.} prefix) into {@code net}. {@code source} names the file
     * in errors. Refuses with an {@link IllegalArgumentException} listing every problem.
     */
    public static Report apply(Map<String, TorchStateDict.Tensor> stateDict, ComputationGraph net, String source) {
        List<String> unexpected = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        Set<String> filled = new HashSet<>();
        // pairs, not a map: INDArray's equals compares contents, and freshly initialised parameters are often equal
        List<INDArray[]> assignments = new ArrayList<>();
        boolean hasBottleneck = net.getVertex("fc") != null;
        int tensors = 0;
        for (Map.Entry<String, TorchStateDict.Tensor> e : stateDict.entrySet()) {
            String key = e.getKey();
            TorchStateDict.Tensor t = e.getValue();
            if (key.endsWith(".num_batches_tracked")) {
                continue;
            }
            Target target = target(key);
            if (target == null) {
                unexpected.add(key + " " + t.shapeText());
                continue;
            }
            if (!hasBottleneck && (target.vertex().equals("fc") || target.vertex().equals("features_bn"))) {
                dropped.add(key);
                continue;
            }
            if (net.getVertex(target.vertex()) == null || !net.getVertex(target.vertex()).hasLayer()) {
                unexpected.add(key + " " + t.shapeText() + " (this network has no layer " + target.vertex()
                        + ": a deeper IResNet than --backbone?)");
                continue;
            }
            Layer layer = net.getLayer(target.vertex());
            String param = paramName(target, layer);
            if (param == null) {
                unexpected.add(key + " " + t.shapeText() + " (layer " + target.vertex() + " has no such parameter)");
                continue;
            }
            INDArray into = layer.getParam(param);
            INDArray value = convert(target, t, into, param);
            if (value == null) {
                misShaped.add(key + ": " + t.shapeText() + " in " + source + ", but " + target.vertex() + "." + param
                        + " needs " + expectedText(target, into, param));
                filled.add(target.vertex() + "." + param); // listed as mis-shaped, not also as missing
                continue;
            }
            assignments.add(new INDArray[]{into, value});
            filled.add(target.vertex() + "." + param);
            tensors++;
        }
        List<String> missing = new ArrayList<>();
        for (String vertex : net.getConfiguration().getVertices().keySet()) {
            if (!isBackbone(vertex) || !net.getVertex(vertex).hasLayer()) {
                continue;
            }
            for (String param : net.getLayer(vertex).paramTable().keySet()) {
                if (!filled.contains(vertex + "." + param)) {
                    missing.add(vertex + "." + param + " (" + torchName(vertex, param) + ")");
                }
            }
        }
        if (!unexpected.isEmpty() || !misShaped.isEmpty() || !missing.isEmpty()) {
            StringBuilder msg = new StringBuilder(source + " does not fit this network's IResNet");
            list(msg, "missing (network parameters without a tensor)", missing);
            list(msg, "unexpected (tensors no parameter takes)", unexpected);
            list(msg, "of another shape", misShaped);
            msg.append("\n  check --backbone (iresnet18/34/50/100 by the file's layer1..4 block counts), "
                    + "model.embedding-dim (the fc width, 512 for arcface_torch) and model.input (3 x 112 x 112)");
            throw new IllegalArgumentException(msg.toString());
        }
        long parameters = 0;
        for (INDArray[] a : assignments) {
            a[0].assign(a[1]);
            parameters += a[0].length();
        }
        return new Report(tensors, parameters, dropped);
    }

    private static void list(StringBuilder msg, String what, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        msg.append("\n  ").append(items.size()).append(' ').append(what).append(':');
        items.stream().limit(20).forEach(i -> msg.append("\n    ").append(i));
        if (items.size() > 20) {
            msg.append("\n    … and ").append(items.size() - 20).append(" more");
        }
    }

    private static String paramName(Target t, Layer layer) {
        Set<String> params = layer.paramTable().keySet();
        String name = switch (t.kind()) {
            case CONV -> t.field().equals("weight") ? "W" : null;
            case PRELU -> t.field().equals("weight") ? ChannelPrelu.SLOPE_KEY : null;
            case DENSE -> t.field().equals("weight") ? "W" : t.field().equals("bias") ? "b" : null;
            case BN -> switch (t.field()) {
                case "weight" -> "gamma";
                case "bias" -> "beta";
                case "running_mean" -> "mean";
                case "running_var" -> params.contains("log10stdev") ? "log10stdev" : "var";
                default -> null;
            };
        };
        return name != null && params.contains(name) ? name : null;
    }

    /** The tensor in the parameter's layout, or null when its shape does not fit. */
    private static INDArray convert(Target target, TorchStateDict.Tensor t, INDArray into, String param) {
        long[] shape = t.shape();
        float[] v = t.values();
        switch (target.kind()) {
            case CONV -> {
                if (!java.util.Arrays.equals(shape, into.shape())) {
                    return null;
                }
                return Nd4j.create(v, shape, 'c').castTo(into.dataType());
            }
            case DENSE -> {
                if (param.equals("W")) {
                    if (shape.length != 2 || into.rank() != 2 || shape[0] != into.size(1) || shape[1] != into.size(0)) {
                        return null;
                    }
                    return Nd4j.create(v, shape, 'c').transpose().castTo(into.dataType());
                }
                return vector(v, shape, into);
            }
            case PRELU -> {
                return vector(v, shape, into);
            }
            case BN -> {
                INDArray a = vector(v, shape, into);
                if (a != null && param.equals("log10stdev")) {
                    a = Nd4j.createFromArray(log10Std(v)).reshape(into.shape()).castTo(into.dataType());
                }
                return a;
            }
            default -> throw new IllegalStateException(target.kind().name());
        }
    }

    /** DL4J's log10 σ for a running variance: the variance it holds is (10^log10σ)², ε added at use. */
    static float[] log10Std(float[] var) {
        float[] s = new float[var.length];
        for (int i = 0; i < var.length; i++) {
            s[i] = (float) (0.5 * Math.log10(var[i]));
        }
        return s;
    }

    /** A 1-d tensor into a parameter holding as many values (DL4J keeps vectors as [1, n] or [1, 1, n, 1]). */
    private static INDArray vector(float[] v, long[] shape, INDArray into) {
        if (shape.length != 1 || shape[0] != into.length()) {
            return null;
        }
        return Nd4j.create(v, into.shape(), 'c').castTo(into.dataType() == DataType.DOUBLE ? DataType.DOUBLE
                : into.dataType());
    }

    private static String expectedText(Target target, INDArray into, String param) {
        return switch (target.kind()) {
            case CONV -> java.util.Arrays.toString(into.shape());
            case DENSE -> param.equals("W") ? "[" + into.size(1) + ", " + into.size(0) + "]" : "[" + into.length() + "]";
            default -> "[" + into.length() + "]";
        };
    }

    /** The key that maps to {@code value} (the tables are one to one), or {@code value} itself. */
    private static String keyOf(Map<String, String> table, String value) {
        return table.entrySet().stream().filter(e -> e.getValue().equals(value)).map(Map.Entry::getKey).findFirst()
                .orElse(value);
    }

    /** The arcface_torch name of a protospark backbone parameter, for the list of missing ones. */
    static String torchName(String vertex, String param) {
        String field = switch (param) {
            case "gamma" -> "weight";
            case "beta" -> "bias";
            case "mean" -> "running_mean";
            case "var", "log10stdev" -> "running_var";
            case "W" -> "weight";
            case "b" -> "bias";
            default -> param;
        };
        Matcher m = BLOCK_VERTEX.matcher(vertex);
        if (m.matches()) {
            return "layer" + m.group(1) + "." + (Integer.parseInt(m.group(2)) - 1) + "."
                    + keyOf(BLOCK_PART, m.group(3)) + "." + field;
        }
        return keyOf(MODULES, vertex) + "." + field;
    }
}
