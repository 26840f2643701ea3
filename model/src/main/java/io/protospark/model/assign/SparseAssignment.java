package io.protospark.model.assign;

import java.util.Arrays;

/**
 * Shortest-augmenting-path assignment on a sparse bipartite graph in CSR form (Jonker and Volgenant's sparse
 * variant, Computing 38, 1987), minimising the sum of edge costs, with warm starts.
 *
 * <p>The state — column prices {@code v}, the current matching and the cost of each matched edge — survives
 * between {@link #solve()} calls, so a caller can add edges ({@link #setGraph}), free the rows whose dual
 * constraints were violated ({@link #unassign}) and solve again from the previous prices. Invariant kept between
 * calls: every matched row's edge has the smallest reduced cost {@code c[i][j] − v[j]} over the row's edges.
 * Each free row is matched by Dijkstra on reduced costs with a binary heap; only touched columns are reset.
 * Not thread-safe.
 */
public final class SparseAssignment {
    private final int n;
    private int[] start;
    private int[] col;
    private double[] cost;
    private final double[] v;
    private final int[] rowsol;
    private final int[] colsol;
    private final double[] matchedCost;
    // Dijkstra scratch, reset through the touched list
    private final double[] dist;
    private final int[] pred;
    private final double[] predCost;
    private final boolean[] done;
    private final int[] touched;
    private double[] heapKey = new double[64];
    private int[] heapCol = new int[64];
    private int heapSize;
    private int[] stuckRows = new int[0];
    private long augmentations;

    /** An empty n×n problem: no edges, no matching, zero prices. */
    public SparseAssignment(int n) {
        this.n = n;
        this.v = new double[n];
        this.rowsol = new int[n];
        this.colsol = new int[n];
        this.matchedCost = new double[n];
        Arrays.fill(rowsol, -1);
        Arrays.fill(colsol, -1);
        this.dist = new double[n];
        Arrays.fill(dist, Double.POSITIVE_INFINITY);
        this.pred = new int[n];
        this.predCost = new double[n];
        this.done = new boolean[n];
        this.touched = new int[n];
        this.start = new int[n + 1];
        this.col = new int[0];
        this.cost = new double[0];
    }

    /** Sets the column prices before the first solve (for example the column minima); nothing may be matched. */
    public void setPrices(double[] prices) {
        for (int i = 0; i < n; i++) {
            if (rowsol[i] >= 0) {
                throw new IllegalStateException("prices can only be set before rows are matched");
            }
        }
        System.arraycopy(prices, 0, v, 0, n);
    }

    /** The cost of row i's x-th listed column c, for {@link #setRows}. */
    @FunctionalInterface
    interface EdgeCost {
        double of(int i, int x, int c);
    }

    /**
     * Replaces the graph with rows given as column lists: row i's edges are {@code rowCols[i]}, each with the cost
     * {@code costs} gives; packed into the CSR arrays of {@link #setGraph(int[], int[], double[])}.
     */
    void setRows(int[][] rowCols, EdgeCost costs) {
        int[] start = new int[n + 1];
        for (int i = 0; i < n; i++) {
            start[i + 1] = start[i] + rowCols[i].length;
        }
        int[] col = new int[start[n]];
        double[] cost = new double[start[n]];
        for (int i = 0; i < n; i++) {
            int[] cols = rowCols[i];
            System.arraycopy(cols, 0, col, start[i], cols.length);
            for (int x = 0; x < cols.length; x++) {
                cost[start[i] + x] = costs.of(i, x, cols[x]);
            }
        }
        setGraph(start, col, cost);
    }

    /**
     * Replaces the graph: row i's edges are {@code col[start[i] .. start[i+1])} with costs {@code cost[...]}
     * (finite). A matched row whose edge is no longer present, or is no longer its cheapest reduced edge, is
     * freed.
     */
    public void setGraph(int[] start, int[] col, double[] cost) {
        if (start.length != n + 1 || col.length < start[n] || cost.length < start[n]) {
            throw new IllegalArgumentException("CSR arrays do not describe " + n + " rows");
        }
        this.start = start;
        this.col = col;
        this.cost = cost;
        for (int i = 0; i < n; i++) {
            int j = rowsol[i];
            if (j < 0) {
                continue;
            }
            double mine = matchedCost[i] - v[j];
            boolean present = false;
            boolean cheapest = true;
            for (int e = start[i]; e < start[i + 1]; e++) {
                int c = col[e];
                if (c == j && cost[e] == matchedCost[i]) {
                    present = true;
                } else if (cost[e] - v[c] < mine) {
                    cheapest = false;
                }
            }
            if (!present || !cheapest) {
                unassign(i);
            }
        }
    }

    /** Frees row i (and its column); its prices stay. */
    public void unassign(int i) {
        int j = rowsol[i];
        if (j >= 0) {
            colsol[j] = -1;
            rowsol[i] = -1;
        }
    }

    /**
     * Matches every free row. Returns true when the matching is complete; false when some free row cannot reach
     * a free column in the graph (no complete matching exists): {@link #stuckRows()} then lists the rows of that
     * row's search tree, whose edges must be widened, and the rows matched so far stay matched.
     */
    public boolean solve() {
        greedy();
        for (int f = 0; f < n; f++) {
            if (rowsol[f] < 0 && !augmentFrom(f)) {
                return false;
            }
        }
        stuckRows = new int[0];
        return true;
    }

    /** Free rows take their cheapest reduced edge when its column is free (keeps the invariant). */
    private void greedy() {
        for (int i = 0; i < n; i++) {
            if (rowsol[i] >= 0) {
                continue;
            }
            double best = Double.POSITIVE_INFINITY;
            int jb = -1;
            double cb = 0;
            for (int e = start[i]; e < start[i + 1]; e++) {
                double r = cost[e] - v[col[e]];
                if (r < best) {
                    best = r;
                    jb = col[e];
                    cb = cost[e];
                }
            }
            if (jb >= 0 && colsol[jb] < 0) {
                rowsol[i] = jb;
                colsol[jb] = i;
                matchedCost[i] = cb;
            }
        }
    }

    private boolean augmentFrom(int freerow) {
        augmentations++;
        int ntouched = 0;
        heapSize = 0;
        int ndone = 0;
        int[] doneRows = null;
        for (int e = start[freerow]; e < start[freerow + 1]; e++) {
            int j = col[e];
            double r = cost[e] - v[j];
            if (r < dist[j]) {
                if (dist[j] == Double.POSITIVE_INFINITY) {
                    touched[ntouched++] = j;
                }
                dist[j] = r;
                pred[j] = freerow;
                predCost[j] = cost[e];
                push(r, j);
            }
        }
        int endofpath = -1;
        double min = 0;
        int[] doneCols = new int[16];
        while (endofpath < 0) {
            // next settled column
            int j1 = -1;
            while (heapSize > 0) {
                double key = heapKey[0];
                int j = heapCol[0];
                pop();
                if (!done[j] && key == dist[j]) {
                    j1 = j;
                    min = key;
                    break;
                }
            }
            if (j1 < 0) {
                // no free column reachable: report the search tree's rows
                int[] rows = new int[ndone + 1];
                rows[0] = freerow;
                for (int k = 0; k < ndone; k++) {
                    rows[k + 1] = colsol[doneCols[k]];
                }
                stuckRows = rows;
                for (int k = 0; k < ntouched; k++) {
                    dist[touched[k]] = Double.POSITIVE_INFINITY;
                    done[touched[k]] = false;
                }
                return false;
            }
            if (colsol[j1] < 0) {
                endofpath = j1;
                break;
            }
            done[j1] = true;
            if (ndone == doneCols.length) {
                doneCols = Arrays.copyOf(doneCols, ndone * 2);
            }
            doneCols[ndone++] = j1;
            int i = colsol[j1];
            double h = matchedCost[i] - v[j1] - min;
            for (int e = start[i]; e < start[i + 1]; e++) {
                int j = col[e];
                if (done[j]) {
                    continue;
                }
                double r = cost[e] - v[j] - h;
                if (r < dist[j]) {
                    if (dist[j] == Double.POSITIVE_INFINITY) {
                        touched[ntouched++] = j;
                    }
                    dist[j] = r;
                    pred[j] = i;
                    predCost[j] = cost[e];
                    if (r <= min && colsol[j] < 0) {
                        endofpath = j;
                        break;
                    }
                    push(r, j);
                }
            }
        }
        double fin = dist[endofpath];
        for (int k = 0; k < ndone; k++) {
            int j = doneCols[k];
            v[j] += dist[j] - fin;
        }
        int j = endofpath;
        int i;
        do {
            i = pred[j];
            colsol[j] = i;
            int next = rowsol[i];
            rowsol[i] = j;
            matchedCost[i] = predCost[j];
            j = next;
        } while (i != freerow);
        for (int k = 0; k < ntouched; k++) {
            dist[touched[k]] = Double.POSITIVE_INFINITY;
            done[touched[k]] = false;
        }
        return true;
    }

    private void push(double key, int c) {
        if (heapSize == heapKey.length) {
            heapKey = Arrays.copyOf(heapKey, heapSize * 2);
            heapCol = Arrays.copyOf(heapCol, heapSize * 2);
        }
        Heaps.siftUp(heapKey, heapCol, heapSize++, key, c);
    }

    private void pop() {
        int last = --heapSize;
        if (last > 0) {
            Heaps.siftDown(heapKey, heapCol, last, heapKey[last], heapCol[last]);
        }
    }

    /** Rows of the last failed search (see {@link #solve()}). */
    public int[] stuckRows() {
        return stuckRows.clone();
    }

    /** Entry i is row i's column, or −1 while free. */
    public int[] columnOfRow() {
        return rowsol.clone();
    }

    /** Column prices v (a copy). */
    public double[] columnDuals() {
        return v.clone();
    }

    /** Column prices, not copied: for the driver's dual check, read only. */
    double[] columnDualsView() {
        return v;
    }

    /** Row i's dual u_i = c[i][σ(i)] − v[σ(i)] (row i must be matched). */
    public double rowDual(int i) {
        return matchedCost[i] - v[rowsol[i]];
    }

    /** The cost of row i's matched edge. */
    public double matchedCost(int i) {
        return matchedCost[i];
    }

    /** Number of shortest-path searches run so far. */
    public long augmentations() {
        return augmentations;
    }

    public int size() {
        return n;
    }
}
