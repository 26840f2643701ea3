package io.protospark.jobs.report;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The report's charts, built with JFreeChart and rendered headless to PNG. Every method takes plain arrays (the
 * report reads them from the run's files) and returns a {@link Chart}: the chart, its file name and pixel size.
 */
final class Charts {
    /** Pixel size of line and bar charts. */
    static final int WIDTH = 620;
    static final int HEIGHT = 360;
    /** Pixel size of heat maps and scatter plots (square plots). */
    static final int SQUARE = 540;

    private static final Color[] SERIES = {
            new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
            new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    private Charts() {
    }

    /** A chart ready to render: its PNG file name (in the report directory), its title and size in pixels. */
    record Chart(String file, String title, JFreeChart chart, int width, int height) {
        /** The chart as PNG bytes. */
        byte[] png() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                ChartUtils.writeChartAsPNG(out, chart, width, height);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot render the chart " + file + ": " + e.getMessage(), e);
            }
            return out.toByteArray();
        }
    }

    /** A series of points; NaN values are left out (a line has a gap there). */
    record Series(String name, double[] x, double[] y) {
        boolean hasData() {
            for (int i = 0; i < y.length; i++) {
                if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Lines against the epoch (or any x); a log-scaled y axis when {@code logY}, every value is positive and they span
     * at least two decades.
     */
    static Chart lines(String file, String title, String xLabel, String yLabel, List<Series> series, boolean logY,
                       boolean shapes) {
        XYSeriesCollection data = new XYSeriesCollection();
        boolean positive = true;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    xy.add(s.x()[i], s.y()[i]);
                    positive &= s.y()[i] > 0;
                    min = Math.min(min, s.y()[i]);
                    max = Math.max(max, s.y()[i]);
                } else {
                    xy.add(s.x()[i], null); // a gap
                }
            }
            data.addSeries(xy);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                series.size() > 1, false, false);
        XYPlot plot = chart.getXYPlot();
        style(chart);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, shapes);
        for (int i = 0; i < series.size(); i++) {
            r.setSeriesPaint(i, SERIES[i % SERIES.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesShape(i, new Ellipse2D.Double(-3, -3, 6, 6));
        }
        plot.setRenderer(r);
        NumberAxis x = (NumberAxis) plot.getDomainAxis();
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        if (logY && positive && max / min >= 100) { // a log axis only when the values span two decades or more
            org.jfree.chart.axis.LogAxis log = new org.jfree.chart.axis.LogAxis(yLabel);
            log.setLabelFont(plot.getRangeAxis().getLabelFont());
            log.setAutoRangeMinimumSize(1e-12);
            log.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0)); // one tick per decade
            log.setNumberFormatOverride(new java.text.DecimalFormat("0.#E0",
                    java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)));
            plot.setRangeAxis(log);
        } else {
            NumberAxis y = (NumberAxis) plot.getRangeAxis();
            y.setAutoRangeIncludesZero(false);
            y.setAutoRangeMinimumSize(1e-6); // a constant series (a fixed head's zero drift) gets a readable axis
        }
        return new Chart(file, title, chart, WIDTH, HEIGHT);
    }

    /** ROC curves (y = tpr against x = fpr, both in [0, 1]) with the chance diagonal. */
    static Chart roc(String file, String title, String xLabel, String yLabel, List<Series> curves) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : curves) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    xy.add(s.x()[i], s.y()[i]);
                }
            }
            data.addSeries(xy);
        }
        XYSeries chance = new XYSeries("chance", false, true);
        chance.add(0, 0);
        chance.add(1, 1);
        data.addSeries(chance);
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                true, false, false);
        style(chart);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < curves.size(); i++) {
            r.setSeriesPaint(i, SERIES[i % SERIES.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        r.setSeriesPaint(curves.size(), Color.GRAY);
        r.setSeriesStroke(curves.size(), new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {4f, 4f}, 0f));
        plot.setRenderer(r);
        unitRange((NumberAxis) plot.getDomainAxis());
        unitRange((NumberAxis) plot.getRangeAxis());
        return new Chart(file, title, chart, SQUARE, SQUARE);
    }

    /**
     * Reliability diagram: per confidence bin ({@code edges[i]} to {@code edges[i + 1]}) a bar up to the bin's
     * accuracy, the bins' mean confidence as points, and the diagonal of perfect calibration. Bins without examples
     * (accuracy NaN) have no bar.
     */
    static Chart reliability(String file, String title, double[] edges, double[] accuracy, double[] confidence,
                             long[] counts) {
        XYIntervalSeries bars = new XYIntervalSeries("accuracy");
        XYSeries conf = new XYSeries("mean confidence", false, true);
        for (int i = 0; i < accuracy.length; i++) {
            if (counts[i] > 0 && Double.isFinite(accuracy[i])) {
                double mid = (edges[i] + edges[i + 1]) / 2;
                bars.add(mid, edges[i], edges[i + 1], accuracy[i], 0, accuracy[i]);
                if (Double.isFinite(confidence[i])) {
                    conf.add(mid, confidence[i]);
                }
            }
        }
        XYIntervalSeriesCollection barData = new XYIntervalSeriesCollection();
        barData.addSeries(bars);
        NumberAxis x = new NumberAxis("confidence (max softmax)");
        NumberAxis y = new NumberAxis("accuracy");
        XYBarRenderer barRenderer = new XYBarRenderer();
        barRenderer.setBarPainter(new StandardXYBarPainter());
        barRenderer.setShadowVisible(false);
        barRenderer.setDrawBarOutline(true);
        barRenderer.setSeriesPaint(0, new Color(0x1f77b4));
        barRenderer.setSeriesOutlinePaint(0, Color.WHITE);
        barRenderer.setUseYInterval(true);
        XYPlot plot = new XYPlot(barData, x, y, barRenderer);
        XYSeriesCollection lines = new XYSeriesCollection();
        lines.addSeries(conf);
        XYSeries diagonal = new XYSeries("perfect calibration", false, true);
        diagonal.add(0, 0);
        diagonal.add(1, 1);
        lines.addSeries(diagonal);
        XYLineAndShapeRenderer lr = new XYLineAndShapeRenderer();
        lr.setSeriesLinesVisible(0, false);
        lr.setSeriesShapesVisible(0, true);
        lr.setSeriesShape(0, new Ellipse2D.Double(-4, -4, 8, 8));
        lr.setSeriesPaint(0, new Color(0xd62728));
        lr.setSeriesLinesVisible(1, true);
        lr.setSeriesShapesVisible(1, false);
        lr.setSeriesPaint(1, Color.GRAY);
        plot.setDataset(1, lines);
        plot.setRenderer(1, lr);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);
        unitRange(x);
        unitRange(y);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        style(chart);
        return new Chart(file, title, chart, SQUARE, SQUARE);
    }

    /**
     * Per-class accuracy as bars in the given class order (e.g. by training examples, most first) with, when
     * {@code trainCounts} is not null, each class's training examples as a line on a second axis.
     */
    static Chart perClass(String file, String title, String xLabel, int[] order, double[] accuracy,
                          long[] trainCounts) {
        DefaultCategoryDataset acc = new DefaultCategoryDataset();
        DefaultCategoryDataset counts = new DefaultCategoryDataset();
        for (int c : order) {
            String key = Integer.toString(c);
            acc.addValue(Double.isFinite(accuracy[c]) ? accuracy[c] : null, "accuracy", key);
            if (trainCounts != null) {
                counts.addValue(trainCounts[c], "training examples", key);
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, xLabel, "accuracy", acc, PlotOrientation.VERTICAL,
                trainCounts != null, false, false);
        style(chart);
        CategoryPlot plot = chart.getCategoryPlot();
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setSeriesPaint(0, new Color(0x1f77b4));
        r.setItemMargin(0);
        CategoryAxis x = plot.getDomainAxis();
        x.setCategoryMargin(order.length > 30 ? 0.05 : 0.2);
        x.setTickLabelsVisible(order.length <= 40);
        x.setTickLabelFont(x.getTickLabelFont().deriveFont(9f));
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        y.setRange(0, 1.0);
        if (trainCounts != null) {
            NumberAxis countAxis = new NumberAxis("training examples");
            countAxis.setAutoRangeIncludesZero(true);
            plot.setRangeAxis(1, countAxis);
            plot.setRangeAxisLocation(1, AxisLocation.BOTTOM_OR_RIGHT);
            plot.setDataset(1, counts);
            plot.mapDatasetToRangeAxis(1, 1);
            LineAndShapeRenderer lr = new LineAndShapeRenderer(true, false);
            lr.setSeriesPaint(0, new Color(0xff7f0e));
            lr.setSeriesStroke(0, new BasicStroke(2f));
            plot.setRenderer(1, lr);
            plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);
        }
        return new Chart(file, title, chart, WIDTH, HEIGHT);
    }

    /**
     * A K x K matrix as a heat map, row 0 at the top: {@code values[row][col]} coloured on [lo, hi] (values outside
     * are clamped to it; NaN is drawn grey) by {@code diverging} (blue, white, red) or sequential (white to dark blue)
     * colours, with a colour bar.
     */
    static Chart heatMap(String file, String title, String xLabel, String yLabel, double[][] values, double lo,
                         double hi, boolean diverging, String scaleLabel) {
        int rows = values.length;
        int cols = rows == 0 ? 0 : values[0].length;
        double[][] xyz = new double[3][rows * cols];
        int k = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                xyz[0][k] = j;
                xyz[1][k] = i;
                double v = values[i][j];
                // NaN falls below the scale (its default paint, grey); rounding just past a bound is clamped
                xyz[2][k] = Double.isNaN(v) ? lo - 1 : Math.max(lo, Math.min(hi, v));
                k++;
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("values", xyz);
        NumberAxis x = new NumberAxis(xLabel);
        NumberAxis y = new NumberAxis(yLabel);
        for (NumberAxis a : new NumberAxis[] {x, y}) {
            a.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            a.setLowerMargin(0);
            a.setUpperMargin(0);
            a.setRange(-0.5, Math.max(rows, cols) - 0.5);
            a.setAutoRangeIncludesZero(false);
        }
        x.setRange(-0.5, cols - 0.5);
        y.setRange(-0.5, rows - 0.5);
        y.setInverted(true);
        PaintScale scale = diverging ? diverging(lo, hi) : sequential(lo, hi);
        XYBlockRenderer r = new XYBlockRenderer();
        r.setPaintScale(scale);
        r.setBlockWidth(1);
        r.setBlockHeight(1);
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        style(chart);
        NumberAxis scaleAxis = new NumberAxis(scaleLabel);
        scaleAxis.setRange(lo, hi);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(new RectangleInsets(10, 10, 10, 10));
        legend.setStripWidth(14);
        legend.setAxisOffset(4);
        chart.addSubtitle(legend);
        return new Chart(file, title, chart, SQUARE + 80, SQUARE);
    }

    /** Points coloured by class: {@code points[i] = {x, y, label}}; a legend for at most 20 classes. */
    static Chart scatter(String file, String title, String xLabel, String yLabel, Map<Integer, double[][]> byClass) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<Integer, double[][]> e : byClass.entrySet()) {
            XYSeries s = new XYSeries("class " + e.getKey(), false, true);
            for (double[] p : e.getValue()) {
                s.add(p[0], p[1]);
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createScatterPlot(title, xLabel, yLabel, data, PlotOrientation.VERTICAL,
                byClass.size() <= 20, false, false);
        style(chart);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        for (int i = 0; i < byClass.size(); i++) {
            r.setSeriesShape(i, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
            r.setSeriesPaint(i, classColour(i, byClass.size()));
        }
        plot.setRenderer(r);
        ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(false);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        return new Chart(file, title, chart, SQUARE + 120, SQUARE);
    }

    /** The tab10 colours for up to 10 classes, else hues spread around the colour wheel. */
    static Color classColour(int i, int n) {
        if (n <= SERIES.length) {
            return SERIES[i];
        }
        return Color.getHSBColor((float) i / n, 0.75f, i % 2 == 0 ? 0.85f : 0.6f);
    }

    private static void unitRange(NumberAxis a) {
        a.setRange(0, 1);
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        if (chart.getPlot() instanceof XYPlot p) {
            p.setBackgroundPaint(new Color(0xf7f7f7));
            p.setDomainGridlinePaint(new Color(0xd0d0d0));
            p.setRangeGridlinePaint(new Color(0xd0d0d0));
        } else if (chart.getPlot() instanceof CategoryPlot p) {
            p.setBackgroundPaint(new Color(0xf7f7f7));
            p.setRangeGridlinePaint(new Color(0xd0d0d0));
        }
    }

    /** White (lo) to dark blue (hi), 64 steps. */
    private static PaintScale sequential(double lo, double hi) {
        Color a = Color.WHITE;
        Color b = new Color(0x08306b);
        LookupPaintScale s = new LookupPaintScale(lo, hi, Color.LIGHT_GRAY);
        int steps = 64;
        for (int i = 0; i < steps; i++) {
            s.add(lo + (hi - lo) * i / steps, mix(a, b, (double) i / (steps - 1)));
        }
        return s;
    }

    /** Blue (lo), white (middle), red (hi), 64 steps. */
    private static PaintScale diverging(double lo, double hi) {
        Color blue = new Color(0x2166ac);
        Color red = new Color(0xb2182b);
        LookupPaintScale s = new LookupPaintScale(lo, hi, Color.LIGHT_GRAY);
        int steps = 64;
        for (int i = 0; i < steps; i++) {
            double t = (double) i / (steps - 1);
            Paint p = t < 0.5 ? mix(blue, Color.WHITE, t * 2) : mix(Color.WHITE, red, (t - 0.5) * 2);
            s.add(lo + (hi - lo) * i / steps, p);
        }
        return s;
    }

    private static Color mix(Color a, Color b, double t) {
        return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t),
                (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
    }
}
