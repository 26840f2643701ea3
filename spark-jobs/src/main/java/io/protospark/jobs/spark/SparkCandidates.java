package io.protospark.jobs.spark;

import io.protospark.model.assign.CandidateGraph;
import io.protospark.model.assign.CosineAssignment;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The candidate graph of the large-K cosine assignment computed on the executors: the prototypes are broadcast
 * once, each task takes a slice of class rows, computes the top-k prototypes of each row and the bound on the
 * rest (gemm tiles), and returns serialisable blocks; the driver only merges them and runs the sparse solve and
 * its proof. This is the O(K²·d) part of the problem, so it is the part that scales out.
 */
public final class SparkCandidates implements CosineAssignment.BlockSource {
    private final JavaSparkContext jsc;
    private final int slices;

    /** @param slices number of tasks (0: Spark's default parallelism) */
    public SparkCandidates(JavaSparkContext jsc, int slices) {
        this.jsc = jsc;
        this.slices = slices > 0 ? slices : jsc.defaultParallelism();
    }

    @Override
    public List<CandidateGraph.Block> blocks(float[] classes, float[] prototypes, int n, int d, int k) {
        Broadcast<float[]> protos = jsc.broadcast(prototypes);
        try {
            int tile = CandidateGraph.TILE_ROWS;
            int tiles = (n + tile - 1) / tile;
            List<Slice> work = new ArrayList<>();
            for (int t = 0; t < tiles; t++) {
                int r0 = t * tile;
                int nr = Math.min(tile, n - r0);
                work.add(new Slice(r0, nr, Arrays.copyOfRange(classes, r0 * d, (r0 + nr) * d)));
            }
            return jsc.parallelize(work, Math.min(slices * 2, Math.max(1, work.size()))).mapPartitions(it -> {
                List<CandidateGraph.Block> out = new ArrayList<>();
                if (!it.hasNext()) {
                    return out.iterator();
                }
                INDArray[] protoTiles = CandidateGraph.prototypeTiles(protos.value(), n, d);
                ExecutorService pool = Executors.newSingleThreadExecutor();
                try {
                    while (it.hasNext()) {
                        Slice s = it.next();
                        CandidateGraph.Block b = CandidateGraph.computeBlock(s.rows(), 0, s.count(), protoTiles, n, d,
                                k, pool, 1);
                        out.add(new CandidateGraph.Block(s.firstRow(), b.rows(), b.k(), b.col(), b.cos(), b.bound()));
                    }
                } finally {
                    pool.shutdown();
                    for (INDArray t : protoTiles) {
                        t.close();
                    }
                }
                return out.iterator();
            }).collect();
        } finally {
            protos.destroy();
        }
    }

    /** Class rows {@code [firstRow, firstRow + count)}, row-major. */
    record Slice(int firstRow, int count, float[] rows) implements java.io.Serializable {
    }
}
