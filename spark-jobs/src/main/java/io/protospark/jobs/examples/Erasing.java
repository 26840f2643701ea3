package io.protospark.jobs.examples;

import java.io.Serializable;
import java.util.Random;

/**
 * Random erasing (Zhong et al., AAAI 2020) as torchvision's {@code RandomErasing} draws it: with probability
 * {@code probability}, up to ten attempts draw an area fraction uniformly from {@code [scaleLo, scaleHi]} and an aspect
 * ratio log-uniformly from {@code [ratioLo, ratioHi]}; the first rectangle that fits strictly inside the image is placed
 * uniformly and set to 0 in every channel of the network input (after normalisation, torchvision's usual place after
 * {@code Normalize}: the erased patch is the channel mean, or black without normalisation). When no attempt fits the
 * image is left as it is.
 */
public record Erasing(double probability, double scaleLo, double scaleHi, double ratioLo, double ratioHi)
        implements Serializable {
    /** Off: torchvision's default scale and ratio with probability 0. */
    public static final Erasing NONE = new Erasing(0, 0.02, 0.33, 0.3, 3.3);

    public Erasing {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("erasing probability " + probability + " outside [0, 1]");
        }
        if (!(scaleLo > 0 && scaleLo <= scaleHi && scaleHi <= 1)) {
            throw new IllegalArgumentException("erasing scale [" + scaleLo + ", " + scaleHi
                    + "] must satisfy 0 < lo <= hi <= 1");
        }
        if (!(ratioLo > 0 && ratioLo <= ratioHi && Double.isFinite(ratioHi))) {
            throw new IllegalArgumentException("erasing ratio [" + ratioLo + ", " + ratioHi
                    + "] must satisfy 0 < lo <= hi < infinity");
        }
    }

    public boolean on() {
        return probability > 0;
    }

    /**
     * The rectangle to erase in an {@code height × width} image as {@code {top, left, rows, cols}}, or null (not drawn,
     * or no attempt fitted). Draws nothing from {@code random} when off.
     */
    public int[] draw(int height, int width, Random random) {
        if (!on() || random.nextDouble() >= probability) {
            return null;
        }
        double area = (double) height * width;
        double logLo = Math.log(ratioLo);
        double logHi = Math.log(ratioHi);
        for (int attempt = 0; attempt < 10; attempt++) {
            double erase = area * (scaleLo + (scaleHi - scaleLo) * random.nextDouble());
            double aspect = Math.exp(logLo + (logHi - logLo) * random.nextDouble());
            // Python's round(): half to even
            int rows = (int) Math.rint(Math.sqrt(erase * aspect));
            int cols = (int) Math.rint(Math.sqrt(erase / aspect));
            if (rows < 1 || cols < 1 || rows >= height || cols >= width) {
                continue;
            }
            return new int[]{random.nextInt(height - rows + 1), random.nextInt(width - cols + 1), rows, cols};
        }
        return null;
    }
}
