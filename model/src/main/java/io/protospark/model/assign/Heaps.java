package io.protospark.model.assign;

/**
 * Binary min-heaps over parallel arrays (a {@code double} key and an {@code int} column per entry), shared by the
 * shortest-path searches of {@link SparseAssignment} (the frontier ordered by distance) and the candidate selection of
 * {@link SparseFirst} (the k smallest reduced costs of a row, kept as a min-heap of negated costs so that its root is
 * the largest one kept). Static and allocation-free, so the JIT inlines them into those loops.
 */
final class Heaps {
    private Heaps() {
    }

    /** Places (key, col) at slot {@code at} of a heap of {@code at + 1} entries and sifts it up. */
    static void siftUp(double[] keys, int[] cols, int at, double key, int col) {
        int k = at;
        while (k > 0) {
            int p = (k - 1) >>> 1;
            if (keys[p] <= key) {
                break;
            }
            keys[k] = keys[p];
            cols[k] = cols[p];
            k = p;
        }
        keys[k] = key;
        cols[k] = col;
    }

    /** Places (key, col) at the root of a heap of {@code size} entries, in place of the root, and sifts it down. */
    static void siftDown(double[] keys, int[] cols, int size, double key, int col) {
        int k = 0;
        while (true) {
            int child = 2 * k + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && keys[child + 1] < keys[child]) {
                child++;
            }
            if (keys[child] >= key) {
                break;
            }
            keys[k] = keys[child];
            cols[k] = cols[child];
            k = child;
        }
        keys[k] = key;
        cols[k] = col;
    }
}
