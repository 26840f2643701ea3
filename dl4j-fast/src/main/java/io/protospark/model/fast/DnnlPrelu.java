package io.protospark.model.fast;

import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_prelu_desc_t;
import org.bytedeco.dnnl.dnnl_stream;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.bytedeco.dnnl.global.dnnl.*;

/**
 * Per-channel PReLU of float maps (NCHW or NHWC) on oneDNN's PReLU kernels: y = x for x &gt; 0, else a<sub>k</sub>·x;
 * the backward pass gives ∂L/∂x and ∂L/∂a in one primitive, ∂L/∂a written straight into the layer's gradient view.
 */
final class DnnlPrelu {
    /** Everything a primitive depends on. */
    record Geometry(long batch, long channels, long height, long width, boolean channelsLast) {
    }

    private static final Dnnl.Pool<Geometry, Plan> POOL = new Dnnl.Pool<>(Plan::new);

    private DnnlPrelu() {
    }

    /** Whether oneDNN runs here and takes these arrays in place: float and dense ({@link Dnnl#takesInPlace}). */
    static boolean takes(INDArray... arrays) {
        return Dnnl.takesInPlace(arrays);
    }

    /** y = PReLU(x; a); a holds one slope per channel. */
    static void forward(Geometry g, INDArray x, INDArray a, INDArray y) {
        POOL.run(g, p -> p.forward(x, a, y));
    }

    /** dx and da from dy. */
    static void backward(Geometry g, INDArray x, INDArray a, INDArray dy, INDArray dx, INDArray da) {
        POOL.run(g, p -> p.backward(x, a, dy, dx, da));
    }

    /** The implementation oneDNN chose for the forward and backward passes of {@code g}, for tests and benchmarks. */
    static String implementations(Geometry g) {
        String[] out = new String[1];
        POOL.run(g, p -> out[0] = p.implementations);
        return out[0];
    }

    private static final class Plan {
        private final dnnl_stream stream = Dnnl.stream();
        private final dnnl_memory src;
        private final dnnl_memory weights;
        private final dnnl_memory dst;
        private final dnnl_memory diffDst;
        private final dnnl_memory diffSrc;
        private final dnnl_memory diffWeights;
        private final Dnnl.Call fwd;
        private final Dnnl.Call bwd;
        private final String implementations;

        Plan(Geometry g) {
            int tag = g.channelsLast() ? dnnl_nhwc : dnnl_nchw;
            dnnl_memory_desc_t md = Dnnl.desc(new long[] {g.batch(), g.channels(), g.height(), g.width()}, dnnl_f32,
                    tag);
            // {1, C, 1, 1}: the slopes broadcast per channel; a C-long contiguous vector in either tag
            dnnl_memory_desc_t wd = Dnnl.desc(new long[] {1, g.channels(), 1, 1}, dnnl_f32, tag);
            dnnl_primitive_attr attr = Dnnl.userScratchpad();
            String what = "a PReLU over " + g;
            dnnl_prelu_desc_t fd = new dnnl_prelu_desc_t();
            Dnnl.check(dnnl_prelu_forward_desc_init(fd, dnnl_forward_training, md, wd), "describing " + what);
            dnnl_primitive_desc fwdPd = Dnnl.choose(fd, attr, null, what);
            dnnl_prelu_desc_t bd = new dnnl_prelu_desc_t();
            Dnnl.check(dnnl_prelu_backward_desc_init(bd, md, wd, md, wd), "describing the gradient of " + what);
            dnnl_primitive_desc bwdPd = Dnnl.choose(bd, attr, fwdPd, "the gradient of " + what);
            implementations = Dnnl.implementation(fwdPd) + " / " + Dnnl.implementation(bwdPd);
            src = Dnnl.unbound(md);
            weights = Dnnl.unbound(wd);
            dst = Dnnl.unbound(md);
            diffDst = Dnnl.unbound(md);
            diffSrc = Dnnl.unbound(md);
            diffWeights = Dnnl.unbound(wd);
            fwd = Dnnl.Call.of(fwdPd).arg(DNNL_ARG_SRC, src).arg(DNNL_ARG_WEIGHTS, weights).arg(DNNL_ARG_DST, dst)
                    .build();
            bwd = Dnnl.Call.of(bwdPd).arg(DNNL_ARG_SRC, src).arg(DNNL_ARG_WEIGHTS, weights)
                    .arg(DNNL_ARG_DIFF_DST, diffDst).arg(DNNL_ARG_DIFF_SRC, diffSrc)
                    .arg(DNNL_ARG_DIFF_WEIGHTS, diffWeights).build();
        }

        void forward(INDArray x, INDArray a, INDArray y) {
            Dnnl.bind(src, x);
            Dnnl.bind(weights, a);
            Dnnl.bind(dst, y);
            fwd.run(stream, "running a PReLU");
            Dnnl.check(dnnl_stream_wait(stream), "running a PReLU");
        }

        void backward(INDArray x, INDArray a, INDArray dy, INDArray dx, INDArray da) {
            Dnnl.bind(src, x);
            Dnnl.bind(weights, a);
            Dnnl.bind(diffDst, dy);
            Dnnl.bind(diffSrc, dx);
            Dnnl.bind(diffWeights, da);
            bwd.run(stream, "running a PReLU gradient");
            Dnnl.check(dnnl_stream_wait(stream), "running a PReLU gradient");
        }
    }
}
