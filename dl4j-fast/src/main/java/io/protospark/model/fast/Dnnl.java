package io.protospark.model.fast;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.bytedeco.dnnl.global.dnnl.*;

/**
 * The oneDNN library of the JavaCPP presets ({@code org.bytedeco:dnnl}), called directly: a CPU engine, memory
 * descriptors, primitives and their execution on arrays ND4J owns (oneDNN reads and writes the arrays' own off-heap
 * buffers; nothing is copied to cross the boundary).
 *
 * <p>libnd4j carries its own oneDNN, but creates every primitive per call with layouts left to oneDNN, so on
 * channels-last maps it reorders each input and output into a blocked layout and back. Calling the library directly
 * fixes the maps' layout in the descriptors, keeps the primitives, and lets the convolution kernels read and write the
 * maps where they are. Both libraries share ND4J's OpenMP runtime (the presets' {@code libgomp.so.1} is not loaded
 * once ND4J's is), so the calling thread's OpenMP setting (which {@code train.threads-per-worker} controls) bounds
 * the threads oneDNN uses.
 */
final class Dnnl {
    private static final Logger LOG = LoggerFactory.getLogger(Dnnl.class);
    private static volatile dnnl_engine engine;
    private static volatile boolean tried;

    private Dnnl() {
    }

    /**
     * The CPU engine, or {@code null} when oneDNN cannot be used here: a backend other than ND4J's CPU one (the arrays
     * are not in host memory), or a library that does not load on this platform (logged once).
     *
     * <p>{@code tried} is set only after {@code engine} is assigned (both volatile), so a thread that sees it set sees
     * the engine too, and a thread that does not waits on the lock while another creates it. Setting the flag before
     * the engine was created let a second thread read "tried, no engine" during the creation and run its layers on the
     * stock fallback kernels: in a JVM running two training workers (local mode, or an executor with several task
     * slots) the worker that did not create the engine then computed its first minibatch partly on other kernels, with
     * other rounding, and the run's final parameters depended on timing.
     */
    static dnnl_engine engine() {
        if (tried) {
            return engine;
        }
        synchronized (Dnnl.class) {
            if (!tried) {
                try {
                    engine = create();
                } finally {
                    tried = true;
                }
            }
            return engine;
        }
    }

    private static dnnl_engine create() {
        String backend = String.valueOf(Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend"));
        if (!"CPU".equalsIgnoreCase(backend)) {
            LOG.info("oneDNN convolutions are off: the ND4J backend is {}, not CPU", backend);
            return null;
        }
        try {
            dnnl_engine e = new dnnl_engine();
            check(dnnl_engine_create(e, dnnl_cpu, 0), "creating the oneDNN CPU engine");
            return e;
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("oneDNN (org.bytedeco:dnnl) does not load here; convolutions run on libnd4j's ops instead", e);
            return null;
        }
    }

    /**
     * Whether convolutions stage their maps in oneDNN's preferred layout ({@link DnnlConvolution}): when oneDNN runs
     * here and the CPU lacks AVX-512 (measured: channel-blocked kernels plus reorders beat channels-last kernels on
     * AVX2; on AVX-512 the channels-last kernels already beat PyTorch).
     */
    static boolean stagesMaps() {
        Boolean s = stagesMaps;
        if (s == null) {
            s = engine() != null
                    && (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) != dnnl_cpu_isa_avx512_core;
            stagesMaps = s;
            LOG.info("oneDNN convolutions run on {} maps", s ? "channel-blocked (staged)" : "the layers' own");
        }
        return s;
    }

    private static volatile Boolean stagesMaps;

    static void check(int status, String what) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN failed " + what + ": status " + status + " ("
                    + statusName(status) + ")");
        }
    }

    private static String statusName(int status) {
        return switch (status) {
            case dnnl_out_of_memory -> "out of memory";
            case dnnl_invalid_arguments -> "invalid arguments";
            case dnnl_unimplemented -> "unimplemented";
            case dnnl_iterator_ends -> "iterator ends";
            case dnnl_runtime_error -> "runtime error";
            case dnnl_not_required -> "not required";
            default -> "unknown";
        };
    }

    /**
     * Attributes asking for a user-managed scratchpad: each primitive gets its own buffer ({@link #scratchpad}), so
     * oneDNN keeps no per-thread scratchpad of its own. Those thread-local buffers are freed when a thread exits, and
     * on Spark's task threads (which the JVM has already detached by then) that teardown crashed the process.
     */
    static org.bytedeco.dnnl.dnnl_primitive_attr userScratchpad() {
        org.bytedeco.dnnl.dnnl_primitive_attr attr = new org.bytedeco.dnnl.dnnl_primitive_attr();
        check(dnnl_primitive_attr_create(attr), "creating primitive attributes");
        check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "setting the scratchpad mode");
        return attr;
    }

    /**
     * The implementation oneDNN picks for operation descriptor {@code op} with {@code attr}; {@code hint} is the
     * forward pass a backward pass belongs to (null for a forward pass).
     */
    static dnnl_primitive_desc choose(Pointer op, org.bytedeco.dnnl.dnnl_primitive_attr attr, dnnl_primitive_desc hint,
                                      String what) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_primitive_desc_create(pd, new org.bytedeco.dnnl.const_dnnl_op_desc_t(op), attr, engine(), hint),
                "choosing a kernel for " + what);
        return pd;
    }

    static dnnl_memory_desc_t desc(long[] dims, int dataType, int tag) {
        dnnl_memory_desc_t md = new dnnl_memory_desc_t();
        check(dnnl_memory_desc_init_by_tag(md, dims.length, dims, dataType, tag), "describing memory");
        return md;
    }

    /** A memory object without a buffer: {@link #bind} gives it an array's buffer before each execution. */
    static dnnl_memory unbound(dnnl_memory_desc_t md) {
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, md, engine(), null), "creating a memory object");
        return m;
    }

    /** A memory object over {@code buffer}, which the caller keeps reachable as long as the memory object lives. */
    static dnnl_memory over(dnnl_memory_desc_t md, Pointer buffer) {
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, md, engine(), buffer), "creating a memory object");
        return m;
    }

    /** Off-heap scratch sized for {@code md}; kept by the caller beside the memory object made {@link #over} it. */
    static BytePointer allocate(dnnl_memory_desc_t md) {
        long bytes = dnnl_memory_desc_get_size(md);
        BytePointer p = new BytePointer(Math.max(1, bytes)); // an empty scratchpad still gets a valid address
        if (p.isNull()) {
            throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of oneDNN scratch");
        }
        return p;
    }

    static void bind(dnnl_memory memory, INDArray array) {
        check(dnnl_memory_set_data_handle(memory, array.data().addressPointer()), "binding an array");
    }

    /**
     * Whether oneDNN can read {@code a} in place: its elements lie in C order without gaps (strides of unit
     * dimensions do not matter), so its buffer, which ND4J already offsets to a view's first element, holds exactly
     * the array.
     */
    static boolean dense(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1) {
                if (stride[i] != expected) {
                    return false;
                }
                expected *= shape[i];
            }
        }
        return a.length() <= a.data().length();
    }

    /** Whether oneDNN runs here and can work on these arrays in place: all float and {@link #dense}. */
    static boolean takesInPlace(INDArray... arrays) {
        if (engine() == null) {
            return false;
        }
        for (INDArray a : arrays) {
            if (a == null || a.dataType() != org.nd4j.linalg.api.buffer.DataType.FLOAT || !dense(a)) {
                return false;
            }
        }
        return true;
    }

    static boolean same(dnnl_memory_desc_t a, dnnl_memory_desc_t b) {
        return dnnl_memory_desc_equal(a, b) != 0;
    }

    static dnnl_memory_desc_t query(dnnl_primitive_desc pd, int what) {
        return dnnl_primitive_desc_query_md(pd, what, 0);
    }

    static String implementation(dnnl_primitive_desc pd) {
        PointerPointer<BytePointer> out = new PointerPointer<>(1);
        check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, out), "naming an implementation");
        return out.getString(0);
    }

    static dnnl_primitive primitive(dnnl_primitive_desc pd) {
        dnnl_primitive p = new dnnl_primitive();
        check(dnnl_primitive_create(p, pd), "creating a primitive");
        return p;
    }

    static dnnl_stream stream() {
        dnnl_stream s = new dnnl_stream();
        check(dnnl_stream_create(s, engine(), dnnl_stream_default_flags), "creating a stream");
        return s;
    }

    /**
     * A primitive with its argument list built once; the memory objects' buffers are rebound per call. The call owns
     * the primitive's scratchpad (user mode, see {@link #userScratchpad}).
     */
    static final class Call {
        private final dnnl_primitive primitive;
        private final dnnl_exec_arg_t args;
        private final int count;
        /** The scratchpad's buffer, kept reachable for as long as the argument list points at it. */
        private final BytePointer scratchpad;

        private Call(dnnl_primitive_desc pd, java.util.List<Integer> kinds, java.util.List<dnnl_memory> memories) {
            dnnl_memory_desc_t scratchMd = query(pd, dnnl_query_scratchpad_md);
            this.scratchpad = allocate(scratchMd);
            kinds.add(DNNL_ARG_SCRATCHPAD);
            memories.add(over(scratchMd, scratchpad));
            this.primitive = primitive(pd);
            this.count = kinds.size();
            this.args = new dnnl_exec_arg_t(count);
            for (int i = 0; i < count; i++) {
                args.position(i).arg(kinds.get(i)).memory(memories.get(i));
            }
            args.position(0);
        }

        /** An argument list for {@code pd}'s primitive (described with {@link #userScratchpad} attributes). */
        static Builder of(dnnl_primitive_desc pd) {
            return new Builder(pd);
        }

        void run(dnnl_stream stream, String what) {
            check(dnnl_primitive_execute(primitive, stream, count, args), what);
        }

        static final class Builder {
            private final dnnl_primitive_desc pd;
            private final java.util.List<Integer> kinds = new java.util.ArrayList<>();
            private final java.util.List<dnnl_memory> memories = new java.util.ArrayList<>();

            private Builder(dnnl_primitive_desc pd) {
                this.pd = pd;
            }

            /** Adds {@code memory} as argument {@code kind}; a null memory (an absent optional argument) is skipped. */
            Builder arg(int kind, dnnl_memory memory) {
                if (memory != null) {
                    kinds.add(kind);
                    memories.add(memory);
                }
                return this;
            }

            Call build() {
                return new Call(pd, kinds, memories);
            }
        }
    }

    /**
     * Plans (descriptors, primitives, scratch, a stream) pooled per key across all layers and threads, so that a layer
     * holds no native resources and a network rebuilt for every averaging round creates none. A plan serves one
     * thread at a time; the pool holds as many per key as threads have used it at once.
     *
     * <p>Plans are also kept apart by the calling thread's OpenMP thread count: oneDNN fixes a primitive's split of the
     * work over threads (and so the order of its float reductions, e.g. a convolution's weight gradient or the batch
     * statistics) when the primitive is created. Shared regardless of it, a worker limited to one thread could run a
     * plan created by a two-thread evaluation task or not, depending on which thread returned a plan first, and two
     * runs of the same training would differ in the last bits from timing alone.
     */
    static final class Pool<K, P> {
        private record Key<K>(K key, int threads) {
        }

        private final java.util.Map<Key<K>, java.util.Queue<P>> plans = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.function.Function<K, P> factory;

        Pool(java.util.function.Function<K, P> factory) {
            this.factory = factory;
        }

        /** Runs {@code body} on a plan for {@code key} taken from the pool (or built) and put back afterwards. */
        void run(K key, java.util.function.Consumer<P> body) {
            Key<K> k = new Key<>(key, threads());
            java.util.Queue<P> queue = plans.computeIfAbsent(k, x -> new java.util.concurrent.ConcurrentLinkedQueue<>());
            P plan = queue.poll();
            if (plan == null) {
                plan = factory.apply(key);
            }
            try {
                body.accept(plan);
            } finally {
                queue.offer(plan);
            }
        }

        /** Plans held, for tests. */
        int size() {
            return plans.values().stream().mapToInt(java.util.Queue::size).sum();
        }

        /** Distinct (key, thread count) pairs seen, for tests. */
        int keys() {
            return plans.size();
        }
    }

    /** The calling thread's OpenMP thread count, which oneDNN's primitives read when they are created. */
    static int threads() {
        return org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /** A reorder between two layouts of the same data. */
    static Call reorder(dnnl_memory_desc_t from, dnnl_memory fromMemory, dnnl_memory_desc_t to, dnnl_memory toMemory) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_reorder_primitive_desc_create(pd, from, engine(), to, engine(), userScratchpad()),
                "describing a reorder");
        return Call.of(pd).arg(DNNL_ARG_FROM, fromMemory).arg(DNNL_ARG_TO, toMemory).build();
    }
}
