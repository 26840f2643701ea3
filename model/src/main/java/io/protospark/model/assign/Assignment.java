package io.protospark.model.assign;

import java.util.Arrays;

/**
 * The result of a linear sum assignment: the column given to each row, the objective (the sum of the chosen
 * entries of the original matrix) and the dual prices that certify it.
 *
 * <p>Duals: for a minimisation, {@code rowDual[i] + columnDual[j] <= cost[i][j]} for every pair, with equality on
 * the chosen pairs; for a maximisation the inequality is reversed ({@code >=}). Their sums equal the objective (up
 * to rounding). Immutable: accessors return copies.
 */
public final class Assignment {
    private final int[] columnOfRow;
    private final double objective;
    private final double[] rowDuals;
    private final double[] columnDuals;
    private final boolean maximize;

    public Assignment(int[] columnOfRow, double objective, double[] rowDuals, double[] columnDuals, boolean maximize) {
        this.columnOfRow = columnOfRow.clone();
        this.objective = objective;
        this.rowDuals = rowDuals == null ? new double[0] : rowDuals.clone();
        this.columnDuals = columnDuals == null ? new double[0] : columnDuals.clone();
        this.maximize = maximize;
    }

    /** Entry i is the column assigned to row i. */
    public int[] columnOfRow() {
        return columnOfRow.clone();
    }

    /** The column assigned to row {@code i}. */
    public int columnOf(int i) {
        return columnOfRow[i];
    }

    /** Entry j is the row assigned to column j, or −1 for a column left unassigned (rectangular problems). */
    public int[] rowOfColumn(int columns) {
        int[] r = new int[columns];
        Arrays.fill(r, -1);
        for (int i = 0; i < columnOfRow.length; i++) {
            r[columnOfRow[i]] = i;
        }
        return r;
    }

    public int rows() {
        return columnOfRow.length;
    }

    /** Sum over rows i of {@code cost[i][columnOf(i)]} of the caller's matrix. */
    public double objective() {
        return objective;
    }

    /** Row prices u (empty when the solver does not report them). */
    public double[] rowDuals() {
        return rowDuals.clone();
    }

    /** Column prices v (empty when the solver does not report them). */
    public double[] columnDuals() {
        return columnDuals.clone();
    }

    public boolean maximize() {
        return maximize;
    }

    @Override
    public String toString() {
        return "Assignment[" + (maximize ? "max" : "min") + " objective=" + objective + ", rows=" + columnOfRow.length
                + "]";
    }
}
