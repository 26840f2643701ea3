package io.protospark.model.sphere;

import io.protospark.model.fast.DnnlConv2d;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastDivOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.reduce.floating.SquaredNorm;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The layer of {@link FastSphereConv}: SphereConv's definition (see {@link SphereConv}) computed as oneDNN
 * convolutions plus element-wise work, on NCHW or (in a channels-last graph) NHWC maps, float.
 *
 * <p>Forward: the filters are normalised first, Ŵ = W / ‖W‖ per output channel (‖W‖ = √(ΣW² + ε)), so one
 * convolution gives y = conv(x, Ŵ) = (w·x)/‖w‖; the squared input norms Σ_c x² are box-summed over each window by a
 * one-channel convolution with a ones kernel (same stride and padding), ‖x‖ = √(box + ε), and c = y / ‖x‖. The
 * operator g is applied to c (nothing to do for the cosine).
 *
 * <p>Backward, by the chain rule, with q = ∂L/∂c = ∂L/∂g · g′(c): the gradient at the convolution's output is
 * q / ‖x‖; oneDNN's backward-data and backward-weights convolutions turn it into the input gradient through Ŵ and
 * the gradient at Ŵ; the input norm adds −x · box<sup>T</sup>(Σ_o q c / ‖x‖²) to the input gradient, and
 * ∂L/∂W = (∂L/∂Ŵ − Ŵ ⟨∂L/∂Ŵ, Ŵ⟩) / ‖W‖ per output channel (the ε kept exactly). Gradients are the layer's
 * true gradients (the SameDiff path's DL4J factor does not apply here).
 *
 * <p>The forward pass keeps c (the cosine operator's output itself) and ‖x‖ in the activations workspace, which
 * DL4J keeps open until the backward pass; a backward pass on another input recomputes them. Inputs the oneDNN path
 * does not take (double precision, a backend without oneDNN, non-dense arrays) run the SameDiff graph.
 */
final class FastSphereConvLayer extends SphereLayerBase.RegularizedImpl {
    private static final double HALF_PI = Math.PI / 2;

    /** The last training forward pass: its input, c (the cosine), ‖x‖ as [B, 1, H', W'] and Ŵ. */
    private INDArray cachedInput;
    private INDArray cachedCos;
    private INDArray cachedXNorm;
    private INDArray cachedWHat;
    private INDArray cachedWNorm;
    private long oneDnnForward;
    private long oneDnnBackward;
    private Shapes shapes;

    FastSphereConvLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    long oneDnnForwardPasses() {
        return oneDnnForward;
    }

    long oneDnnBackwardPasses() {
        return oneDnnBackward;
    }

    private SphereConv sphere() {
        return (SphereConv) layerConf();
    }

    private boolean nhwc() {
        return ((FastSphereConv) layerConf()).isChannelsLast();
    }

    /** The channel dimension of the maps. */
    private int cDim() {
        return nhwc() ? 3 : 1;
    }

    /** The dimensions of a map other than its channels. */
    private int[] notChannels() {
        return nhwc() ? new int[]{0, 1, 2} : new int[]{0, 2, 3};
    }

    private long inH(INDArray in) {
        return in.size(nhwc() ? 1 : 2);
    }

    private long inW(INDArray in) {
        return in.size(nhwc() ? 2 : 3);
    }

    private boolean takes(INDArray in) {
        return in != null && in.rank() == 4 && dataType == DataType.FLOAT && in.dataType() == DataType.FLOAT
                && maskArray == null && DnnlConv2d.available();
    }

    /** The two convolutions of one input shape: the layer's and the one-channel window sum. */
    private record Shapes(long[] inShape, long outH, long outW, DnnlConv2d conv, DnnlConv2d box) {
    }

    private Shapes shapes(INDArray in) {
        if (shapes != null && java.util.Arrays.equals(shapes.inShape(), in.shape())) {
            return shapes;
        }
        SphereConv s = sphere();
        long batch = in.size(0);
        long inC = in.size(cDim());
        if (inC != s.getNIn()) {
            throw new IllegalArgumentException("SphereConv layer " + s.getLayerName() + " expects " + s.getNIn()
                    + " input channels, found input of shape " + java.util.Arrays.toString(in.shape()));
        }
        int[] k = s.getKernelSize();
        int[] st = s.getStride();
        long[] size = {inH(in), inW(in)};
        long[] out = new long[2];
        int[] padTL = new int[2];
        int[] padBR = new int[2];
        for (int i = 0; i < 2; i++) {
            if (s.isSamePadding()) {
                out[i] = (size[i] + st[i] - 1) / st[i];
                long total = Math.max(0, (out[i] - 1) * st[i] + k[i] - size[i]);
                padTL[i] = (int) (total / 2);
                padBR[i] = (int) (total - total / 2);
            } else {
                int p = s.getPadding()[i];
                out[i] = (size[i] + 2L * p - k[i]) / st[i] + 1;
                padTL[i] = p;
                padBR[i] = p;
            }
        }
        DnnlConv2d conv = new DnnlConv2d(batch, inC, size[0], size[1], s.getNOut(), out[0], out[1], k[0], k[1],
                st[0], st[1], padTL[0], padTL[1], padBR[0], padBR[1], nhwc());
        DnnlConv2d box = new DnnlConv2d(batch, 1, size[0], size[1], 1, out[0], out[1], k[0], k[1],
                st[0], st[1], padTL[0], padTL[1], padBR[0], padBR[1], false);
        shapes = new Shapes(in.shape().clone(), out[0], out[1], conv, box);
        return shapes;
    }

    private static INDArray dense(INDArray a) {
        return DnnlConv2d.takes(a) ? a : a.dup('c');
    }

    private INDArray ones(LayerWorkspaceMgr mgr, ArrayType type) {
        int[] k = sphere().getKernelSize();
        INDArray o = mgr.createUninitialized(type, DataType.FLOAT, new long[]{1, 1, k[0], k[1]}, 'c');
        return o.assign(1.0);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        cachedInput = null;
        cachedCos = null;
        cachedXNorm = null;
        cachedWHat = null;
        cachedWNorm = null;
        if (!takes(input)) {
            return stockActivate(training, mgr);
        }
        assertInputSet(false);
        SphereConv s = sphere();
        INDArray x = dense(input);
        INDArray w = dense(paramTable.get("W"));
        Shapes sh = shapes(x);
        long batch = x.size(0);
        long nOut = s.getNOut();
        // caches live in the activations workspace during training (read by the backward pass)
        ArrayType keep = training ? ArrayType.ACTIVATIONS : ArrayType.FF_WORKING_MEM;

        // Ŵ = W / ‖W‖ per output channel
        INDArray wNorm = mgr.createUninitialized(keep, DataType.FLOAT, new long[]{nOut}, 'c');
        Nd4j.getExecutioner().exec(new SquaredNorm(w, wNorm, 1, 2, 3));
        Transforms.sqrt(wNorm.addi(SphereLayerBase.NORM_EPS), false);
        INDArray wHat = mgr.createUninitialized(keep, DataType.FLOAT, w.shape(), 'c');
        Nd4j.getExecutioner().exec(new BroadcastDivOp(w, wNorm, wHat, 0));

        // ‖x‖ per output location: √(box(Σ_c x²) + ε)
        INDArray sq = mgr.createUninitialized(ArrayType.FF_WORKING_MEM, DataType.FLOAT,
                new long[]{batch, inH(x), inW(x)}, 'c');
        Nd4j.getExecutioner().exec(new SquaredNorm(x, sq, cDim()));
        INDArray xNorm = mgr.createUninitialized(keep, DataType.FLOAT, new long[]{batch, 1, sh.outH(), sh.outW()}, 'c');
        sh.box().forward(sq.reshape(batch, 1, inH(x), inW(x)), ones(mgr, ArrayType.FF_WORKING_MEM), xNorm);
        Transforms.sqrt(xNorm.addi(SphereLayerBase.NORM_EPS), false);

        // c = conv(x, Ŵ) / ‖x‖
        long[] outShape = nhwc() ? new long[]{batch, sh.outH(), sh.outW(), nOut}
                : new long[]{batch, nOut, sh.outH(), sh.outW()};
        INDArray cos = mgr.createUninitialized(s.getOperator() == SphereOperator.COSINE
                ? ArrayType.ACTIVATIONS : keep, DataType.FLOAT, outShape, 'c');
        sh.conv().forward(x, wHat, cos);
        Nd4j.getExecutioner().exec(new BroadcastDivOp(cos, xNorm.reshape(batch, sh.outH(), sh.outW()), cos,
                notChannels()));
        oneDnnForward++;

        INDArray out = cos;
        if (s.getOperator() != SphereOperator.COSINE) {
            out = mgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, outShape, 'c');
            applyOperator(cos, out, mgr);
        }
        if (training) {
            cachedInput = input;
            cachedCos = cos;
            cachedXNorm = xNorm;
            cachedWHat = wHat;
            cachedWNorm = wNorm;
        }
        return out;
    }

    /**
     * The SameDiff graph (NCHW), for inputs the oneDNN path does not take; channels-last maps are permuted to NCHW
     * around it.
     */
    private INDArray stockActivate(boolean training, LayerWorkspaceMgr mgr) {
        if (!nhwc()) {
            return super.activate(training, mgr);
        }
        INDArray nhwcInput = input;
        try {
            input = nhwcInput.permute(0, 3, 1, 2).dup('c');
            INDArray out = super.activate(training, mgr);
            return mgr.dup(ArrayType.ACTIVATIONS, out.permute(0, 2, 3, 1), 'c');
        } finally {
            input = nhwcInput;
        }
    }

    private Pair<Gradient, INDArray> stockBackprop(INDArray epsilon, LayerWorkspaceMgr mgr) {
        if (!nhwc()) {
            return super.backpropGradient(epsilon, mgr);
        }
        INDArray nhwcInput = input;
        try {
            input = nhwcInput.permute(0, 3, 1, 2).dup('c');
            Pair<Gradient, INDArray> p = super.backpropGradient(epsilon.permute(0, 3, 1, 2).dup('c'), mgr);
            return new Pair<>(p.getFirst(), mgr.dup(ArrayType.ACTIVATION_GRAD, p.getSecond().permute(0, 2, 3, 1), 'c'));
        } finally {
            input = nhwcInput;
        }
    }

    /** The effective k per output channel, [1, nOut, 1, 1]-broadcastable as a vector: |k_raw| + offset. */
    private INDArray learnableK() {
        INDArray kRaw = paramTable.get("k");
        return Transforms.abs(kRaw, true).addi(SphereOperator.K_OFFSET).reshape(kRaw.length());
    }

    /** θ = arccos(clip(c)), a new array. */
    private static INDArray theta(INDArray cos) {
        INDArray clipped = Transforms.min(Transforms.max(cos, -1.0 + SphereOperator.CLIP, true),
                1.0 - SphereOperator.CLIP, false);
        return Transforms.acos(clipped, false);
    }

    /** out = g(c) for the linear and sigmoid operators. */
    private void applyOperator(INDArray cos, INDArray out, LayerWorkspaceMgr mgr) {
        SphereConv s = sphere();
        INDArray theta = theta(cos);
        switch (s.getOperator()) {
            case LINEAR -> out.assign(theta.muli(-2.0 / Math.PI).addi(1.0));
            case SIGMOID -> {
                double k = s.getSigmoidK();
                out.assign(Transforms.tanh(theta.rsubi(HALF_PI).muli(1.0 / (2 * k)), false)
                        .muli(1.0 / Math.tanh(Math.PI / (4 * k))));
            }
            case LEARNABLE_SIGMOID -> {
                INDArray k = learnableK();
                INDArray u = theta.rsubi(HALF_PI);
                Nd4j.getExecutioner().exec(new BroadcastDivOp(u, k.mul(2.0), u, cDim()));
                INDArray den = Transforms.tanh(k.rdiv(Math.PI / 4), false);
                Nd4j.getExecutioner().exec(new BroadcastDivOp(Transforms.tanh(u, false), den, out, cDim()));
            }
            default -> throw new IllegalStateException(s.getOperator().name());
        }
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        if (!takes(input)) {
            return stockBackprop(epsilon, mgr);
        }
        assertInputSet(true);
        INDArray wGrad = gradTable.get("W");
        INDArray kGrad = gradTable.get("k");
        if (!DnnlConv2d.takes(wGrad) || kGrad != null && !DnnlConv2d.takes(kGrad)) {
            return stockBackprop(epsilon, mgr); // oneDNN writes gradients in place only
        }
        if (cachedInput != input || cachedCos == null) {
            activate(true, mgr);
        }
        SphereConv s = sphere();
        INDArray x = dense(input);
        Shapes sh = shapes(x);
        long batch = x.size(0);
        INDArray cos = cachedCos;
        INDArray xNorm3 = cachedXNorm.reshape(batch, sh.outH(), sh.outW());
        INDArray eps = dense(epsilon);

        // q = ∂L/∂c
        INDArray q;
        if (s.getOperator() == SphereOperator.COSINE) {
            q = eps;
        } else {
            q = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT, cos.shape(), 'c');
            operatorGradient(cos, eps, q, kGrad);
        }

        // the cosine's gradient through ‖x‖: r = Σ_o q c / ‖x‖², then box-transposed
        INDArray qc = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT, cos.shape(), 'c');
        Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp(q, cos, qc));
        INDArray r = qc.sum(true, cDim()).reshape(batch, 1, sh.outH(), sh.outW());
        r.divi(cachedXNorm).divi(cachedXNorm);
        INDArray boxT = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT,
                new long[]{batch, 1, inH(x), inW(x)}, 'c');
        sh.box().backwardData(r, ones(mgr, ArrayType.BP_WORKING_MEM), boxT);

        // the gradient at the convolution's output: dy = q / ‖x‖ (reuses qc's memory)
        INDArray dy = qc;
        Nd4j.getExecutioner().exec(new BroadcastDivOp(q, xNorm3, dy, notChannels()));

        INDArray epsNext = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, x.shape(), 'c');
        sh.conv().backwardData(dy, cachedWHat, epsNext);
        // ∂‖x‖/∂x: −x · boxᵀ(r), broadcast over the channels
        INDArray corr = mgr.createUninitialized(ArrayType.BP_WORKING_MEM, DataType.FLOAT, x.shape(), 'c');
        Nd4j.getExecutioner().exec(new BroadcastMulOp(x, boxT.reshape(batch, inH(x), inW(x)), corr, notChannels()));
        epsNext.subi(corr);

        // ∂L/∂W = (∂L/∂Ŵ − Ŵ ⟨∂L/∂Ŵ, Ŵ⟩) / ‖W‖
        sh.conv().backwardWeights(x, dy, wGrad);
        INDArray wHat = cachedWHat;
        INDArray dot = wGrad.mul(wHat).sum(1, 2, 3); // [nOut]
        INDArray proj = wHat.dup('c');
        Nd4j.getExecutioner().exec(new BroadcastMulOp(proj, dot, proj, 0));
        wGrad.subi(proj);
        Nd4j.getExecutioner().exec(new BroadcastDivOp(wGrad, cachedWNorm, wGrad, 0));
        oneDnnBackward++;

        Gradient g = new DefaultGradient();
        g.gradientForVariable().put("W", wGrad);
        if (kGrad != null) {
            g.gradientForVariable().put("k", kGrad);
        }
        return new Pair<>(g, epsNext);
    }

    /**
     * q = ∂L/∂g · g′(c) for the linear and sigmoid operators (zero where c is clipped), and for the learnable sigmoid
     * ∂L/∂k_raw into {@code kGrad}.
     */
    private void operatorGradient(INDArray cos, INDArray eps, INDArray q, INDArray kGrad) {
        SphereConv s = sphere();
        double lo = -1.0 + SphereOperator.CLIP;
        double hi = 1.0 - SphereOperator.CLIP;
        // −dθ/dc = 1/√(1 − c²) inside the clip range, 0 outside
        INDArray inside = cos.gt(lo).castTo(DataType.FLOAT).muli(cos.lt(hi).castTo(DataType.FLOAT));
        INDArray clipped = Transforms.min(Transforms.max(cos, lo, true), hi, false);
        INDArray dThetaNeg = Transforms.sqrt(clipped.mul(clipped).rsubi(1.0), false).rdivi(1.0).muli(inside);
        switch (s.getOperator()) {
            case LINEAR -> q.assign(eps.mul(dThetaNeg).muli(2.0 / Math.PI));
            case SIGMOID -> {
                double k = s.getSigmoidK();
                INDArray t = Transforms.tanh(Transforms.acos(clipped, true).rsubi(HALF_PI).muli(1.0 / (2 * k)), false);
                INDArray dgdu = t.mul(t).rsubi(1.0);
                q.assign(eps.mul(dgdu).muli(dThetaNeg).muli(1.0 / (2 * k * Math.tanh(Math.PI / (4 * k)))));
            }
            case LEARNABLE_SIGMOID -> {
                INDArray k = learnableK(); // [nOut]
                INDArray bigT = Transforms.tanh(k.rdiv(Math.PI / 4), true); // tanh(π/(4k))
                INDArray u = Transforms.acos(clipped, true).rsubi(HALF_PI);
                Nd4j.getExecutioner().exec(new BroadcastDivOp(u, k.mul(2.0), u, cDim())); // u = (π/2 − θ)/(2k)
                INDArray t = Transforms.tanh(u, true);
                INDArray sech2 = t.mul(t).rsubi(1.0);
                // q = ε (1 − tanh²u) / (2 k T √(1 − c²))
                q.assign(eps.mul(sech2).muli(dThetaNeg));
                Nd4j.getExecutioner().exec(new BroadcastDivOp(q, k.mul(2.0).muli(bigT), q, cDim()));
                // ∂g/∂k = −(1 − tanh²u) u / (k T) + tanh(u) (1 − T²) π / (4 k² T²)
                INDArray a = sech2.muli(u);
                Nd4j.getExecutioner().exec(new BroadcastDivOp(a, k.mul(bigT), a, cDim()));
                INDArray b = t;
                INDArray bScale = bigT.mul(bigT).rsubi(1.0).muli(Math.PI / 4).divi(k.mul(k).muli(bigT).muli(bigT));
                Nd4j.getExecutioner().exec(new BroadcastMulOp(b, bScale, b, cDim()));
                INDArray dgdk = b.subi(a).muli(eps);
                INDArray perChannel = dgdk.sum(notChannels()); // [nOut]
                INDArray sign = Transforms.sign(paramTable.get("k").reshape(k.length()), true);
                kGrad.assign(perChannel.muli(sign).reshape(kGrad.shape()));
            }
            default -> throw new IllegalStateException(s.getOperator().name());
        }
    }
}
