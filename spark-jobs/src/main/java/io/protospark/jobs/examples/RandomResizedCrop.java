package io.protospark.jobs.examples;

import java.io.Serializable;
import java.util.Random;

/**
 * The crop box of torchvision's {@code RandomResizedCrop.get_params} (torchvision 0.14, unchanged since 0.8): up to ten
 * attempts draw an area fraction {@code s ~ U(scaleLo, scaleHi)} and an aspect ratio {@code r = exp(U(ln ratioLo,
 * ln ratioHi))} (width / height), take {@code w = round(sqrt(s·A·r))}, {@code h = round(sqrt(s·A / r))} (Python's
 * round: half to even) and accept the first box with {@code 0 < w <= width}, {@code 0 < h <= height}, placed at a
 * uniform top {@code i ∈ [0, height − h]} and left {@code j ∈ [0, width − w]}. When no attempt fits, the fallback is
 * the centre crop of the whole image clamped to the ratio range: an image narrower than {@code ratioLo} keeps its width
 * and takes {@code h = round(w / ratioLo)}, one wider than {@code ratioHi} keeps its height and takes
 * {@code w = round(h · ratioHi)}, any other is taken whole; top and left are {@code (height − h) / 2},
 * {@code (width − w) / 2} rounded down.
 *
 * <p>Draws are in double precision (torchvision draws its uniforms as float32 tensors); the order of the draws is
 * torchvision's: per attempt the scale then the log-ratio, and for the accepted box the top then the left.
 */
public record RandomResizedCrop(double scaleLo, double scaleHi, double ratioLo, double ratioHi)
        implements Serializable {
    /** torchvision's defaults: scale (0.08, 1), ratio (3/4, 4/3). */
    public static final RandomResizedCrop DEFAULT = new RandomResizedCrop(0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0);

    public RandomResizedCrop {
        if (!(scaleLo > 0 && scaleLo <= scaleHi && scaleHi <= 1)) {
            throw new IllegalArgumentException("scale [" + scaleLo + ", " + scaleHi + "] must satisfy 0 < lo <= hi <= 1");
        }
        if (!(ratioLo > 0 && ratioLo <= ratioHi && Double.isFinite(ratioHi))) {
            throw new IllegalArgumentException("ratio [" + ratioLo + ", " + ratioHi
                    + "] must satisfy 0 < lo <= hi < infinity");
        }
    }

    /** The random numbers the sampler consumes, so that a test can hand it fixed ones. */
    public interface Draws {
        /** A uniform number in [lo, hi). */
        double uniform(double lo, double hi);

        /** A uniform integer in [0, bound). */
        int below(int bound);
    }

    /** Draws from a {@link Random}: {@code lo + (hi − lo)·nextDouble()} and {@code nextInt(bound)}. */
    public static Draws of(Random random) {
        return new Draws() {
            @Override
            public double uniform(double lo, double hi) {
                return lo + (hi - lo) * random.nextDouble();
            }

            @Override
            public int below(int bound) {
                return random.nextInt(bound);
            }
        };
    }

    /** The box {@code {top, left, height, width}} of an image of {@code height x width} pixels. */
    public int[] box(int height, int width, Draws draws) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("image of " + height + "x" + width + " pixels");
        }
        double area = (double) height * width;
        double logLo = Math.log(ratioLo);
        double logHi = Math.log(ratioHi);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * draws.uniform(scaleLo, scaleHi);
            double aspect = Math.exp(draws.uniform(logLo, logHi));
            int w = (int) Math.rint(Math.sqrt(target * aspect));
            int h = (int) Math.rint(Math.sqrt(target / aspect));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int i = draws.below(height - h + 1);
                int j = draws.below(width - w + 1);
                return new int[]{i, j, h, w};
            }
        }
        return fallback(height, width);
    }

    /** The fallback centre crop, {@code {top, left, height, width}}. */
    public int[] fallback(int height, int width) {
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < ratioLo) {
            w = width;
            h = (int) Math.rint(w / ratioLo);
        } else if (inRatio > ratioHi) {
            h = height;
            w = (int) Math.rint(h * ratioHi);
        } else {
            w = width;
            h = height;
        }
        return new int[]{(height - h) / 2, (width - w) / 2, h, w};
    }
}
