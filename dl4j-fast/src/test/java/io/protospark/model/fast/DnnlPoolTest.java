package io.protospark.model.fast;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Dnnl.Pool} hands a thread only plans created under its own OpenMP thread count: oneDNN fixes a primitive's
 * split of the work over threads when it is created, so a plan built by a two-thread caller must never serve a
 * one-thread worker (the result would depend on which thread returned a plan first).
 */
class DnnlPoolTest {
    /** A plan that remembers the thread count it was created under. */
    private record Plan(int createdUnder) {
    }

    @Test
    void plansAreKeptApartByTheCallersThreadCount() {
        Nd4j.getExecutioner(); // loads the backend before NativeOpsHolder is used
        var ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
        int before = ops.ompGetMaxThreads();
        AtomicInteger created = new AtomicInteger();
        Dnnl.Pool<String, Plan> pool = new Dnnl.Pool<>(key -> {
            created.incrementAndGet();
            return new Plan(Dnnl.threads());
        });
        List<String> mismatches = new ArrayList<>();
        try {
            for (int threads : new int[] {2, 1, 2, 1, 3}) {
                ops.setOmpNumThreads(threads);
                assertEquals(threads, Dnnl.threads(), "the thread count the pool reads");
                for (int i = 0; i < 2; i++) {
                    pool.run("conv-3x3", plan -> {
                        if (plan.createdUnder() != Dnnl.threads()) {
                            mismatches.add("plan created under " + plan.createdUnder() + " thread(s) ran under "
                                    + Dnnl.threads());
                        }
                    });
                }
            }
        } finally {
            ops.setOmpNumThreads(before);
        }
        assertEquals(List.of(), mismatches);
        assertEquals(3, created.get(), "one plan per thread count (2, 1, 3), reused when the count comes back");
        assertEquals(3, pool.keys());
        assertEquals(3, pool.size());
    }
}
