package io.protospark.model.fast;

import org.bytedeco.dnnl.dnnl_binary_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.bytedeco.dnnl.global.dnnl.*;

/**
 * y = max(a + b, 0) in one pass on oneDNN's binary kernel with a ReLU post-op, over dense float arrays of one length
 * (see {@link DnnlRelu#takes}). DL4J's addition vertex copies the first input and adds the second in place (two
 * passes), and the ReLU after it is a third.
 */
final class DnnlAdd {
    private static final Dnnl.Pool<Long, Plan> POOL = new Dnnl.Pool<>(Plan::new);

    private DnnlAdd() {
    }

    static void addRelu(INDArray a, INDArray b, INDArray y) {
        POOL.run(a.length(), p -> p.run(a, b, y));
    }

    private static final class Plan {
        private final dnnl_stream stream = Dnnl.stream();
        private final dnnl_memory src0;
        private final dnnl_memory src1;
        private final dnnl_memory dst;
        private final Dnnl.Call call;

        Plan(long length) {
            dnnl_memory_desc_t md = Dnnl.desc(new long[] {length}, dnnl_f32, dnnl_x);
            dnnl_primitive_attr attr = Dnnl.userScratchpad();
            dnnl_post_ops ops = new dnnl_post_ops();
            Dnnl.check(dnnl_post_ops_create(ops), "creating post-ops");
            Dnnl.check(dnnl_post_ops_append_eltwise(ops, 1f, dnnl_eltwise_relu, 0f, 0f), "adding a ReLU post-op");
            Dnnl.check(dnnl_primitive_attr_set_post_ops(attr, ops), "setting post-ops");
            dnnl_binary_desc_t d = new dnnl_binary_desc_t();
            Dnnl.check(dnnl_binary_desc_init(d, dnnl_binary_add, md, md, md), "describing an addition of " + length
                    + " values");
            dnnl_primitive_desc pd = Dnnl.choose(d, attr, null, "an addition");
            src0 = Dnnl.unbound(md);
            src1 = Dnnl.unbound(md);
            dst = Dnnl.unbound(md);
            call = Dnnl.Call.of(pd).arg(DNNL_ARG_SRC_0, src0).arg(DNNL_ARG_SRC_1, src1).arg(DNNL_ARG_DST, dst).build();
        }

        void run(INDArray a, INDArray b, INDArray y) {
            Dnnl.bind(src0, a);
            Dnnl.bind(src1, b);
            Dnnl.bind(dst, y);
            call.run(stream, "running an addition");
            Dnnl.check(dnnl_stream_wait(stream), "running an addition");
        }
    }
}
