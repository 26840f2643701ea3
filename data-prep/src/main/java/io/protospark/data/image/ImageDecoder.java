package io.protospark.data.image;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decodes JPEG / PNG bytes with {@code javax.imageio} (the JDK's readers first, then any ImageIO plug-in on the
 * class path: the TwelveMonkeys JPEG reader, a data-prep dependency, adds CMYK / YCCK JPEGs, which ImageNet
 * contains) and turns them into {@code size x size} RGB bytes in CHW order.
 *
 * <p>Resize policies: {@link Resize#SHORTER_SIDE_CROP} scales the shorter side to {@code size} keeping the aspect
 * ratio, then takes the centre {@code size x size} crop (torchvision's {@code Resize(s)} + {@code CenterCrop(s)});
 * {@link Resize#EXACT} scales both sides to {@code size}. Scaling is bilinear, halving step by step while the
 * factor exceeds 2 so that large reductions average instead of alias. Grey and palette images become RGB;
 * alpha is dropped (composited on black).
 */
public final class ImageDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How an image is brought to {@code size x size}. */
    public enum Resize {
        SHORTER_SIDE_CROP("shorter-side-crop"),
        EXACT("exact");

        private final String configName;

        Resize(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        public static Resize of(String name) {
            for (Resize r : values()) {
                if (r.configName.equals(name)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown resize policy " + name);
        }
    }

    private final int size;
    private final Resize resize;

    public ImageDecoder(int size, Resize resize) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be positive, found " + size);
        }
        this.size = size;
        this.resize = resize;
    }

    public int size() {
        return size;
    }

    /**
     * The {@code 3 * size * size} CHW bytes of the encoded image.
     *
     * @throws IOException if the bytes are empty or not an image ImageIO can read; the message says why
     */
    public byte[] decode(byte[] encoded) throws IOException {
        if (encoded.length == 0) {
            throw new IOException("empty file");
        }
        return chw(fit(read(encoded)));
    }

    /**
     * Decodes with the JDK's own reader first (measured about twice as fast as TwelveMonkeys 3.1.1 on baseline
     * JPEGs) and falls back to the other registered readers (TwelveMonkeys: CMYK / YCCK JPEGs) when it fails.
     */
    static BufferedImage read(byte[] encoded) throws IOException {
        List<ImageReader> readers = new ArrayList<>();
        // in-memory streams: ImageIO.createImageInputStream would cache every image in a temporary file on disk
        try (ImageInputStream probe = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            ImageIO.getImageReaders(probe).forEachRemaining(readers::add);
        }
        if (readers.isEmpty()) {
            throw new IOException("not an image format ImageIO can read (" + encoded.length + " bytes)");
        }
        readers.sort(Comparator.comparingInt(r -> r.getClass().getName().startsWith("com.sun.") ? 0 : 1));
        Exception first = null;
        for (ImageReader reader : readers) {
            try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
                reader.setInput(in, true, true);
                return reader.read(0);
            } catch (IOException | RuntimeException e) { // some readers throw unchecked exceptions on garbage
                if (first == null) {
                    first = e;
                }
            } finally {
                reader.dispose();
            }
        }
        throw new IOException(first.getMessage() == null ? first.toString() : first.getMessage(), first);
    }

    /** Scales and crops to {@code size x size} RGB. */
    BufferedImage fit(BufferedImage src) {
        int w = src.getWidth();
        int h = src.getHeight();
        int tw;
        int th;
        if (resize == Resize.EXACT) {
            tw = size;
            th = size;
        } else if (w <= h) {
            tw = size;
            th = (int) Math.max(size, Math.round((double) h * size / w));
        } else {
            th = size;
            tw = (int) Math.max(size, Math.round((double) w * size / h));
        }
        BufferedImage current = rgb(src);
        while (current.getWidth() / 2 >= tw && current.getHeight() / 2 >= th) {
            current = scale(current, current.getWidth() / 2, current.getHeight() / 2);
        }
        if (current.getWidth() != tw || current.getHeight() != th) {
            current = scale(current, tw, th);
        }
        if (tw == size && th == size) {
            return current;
        }
        int x = (tw - size) / 2;
        int y = (th - size) / 2;
        return current.getSubimage(x, y, size, size);
    }

    /**
     * The image decoded, as {@link #read} decodes it; the message of the exception says why it cannot be (empty,
     * not an image, truncated or corrupt data).
     */
    public static BufferedImage decodeImage(byte[] encoded) throws IOException {
        if (encoded.length == 0) {
            throw new IOException("empty file");
        }
        return read(encoded);
    }

    /**
     * {@code src} scaled so that its shorter side is {@code side} (the longer one rounded down, keeping the aspect ratio),
     * bilinear with the same halving steps as {@link #fit}: torchvision's {@code Resize(side)}. RGB.
     */
    public static BufferedImage shorterSide(BufferedImage src, int side) {
        int w = src.getWidth();
        int h = src.getHeight();
        // torchvision's Resize(side): the longer side is side * long / short rounded down
        int tw = w <= h ? side : (int) Math.max(side, (long) side * w / h);
        int th = w <= h ? (int) Math.max(side, (long) side * h / w) : side;
        BufferedImage current = rgb(src);
        while (current.getWidth() / 2 >= tw && current.getHeight() / 2 >= th) {
            current = scale(current, current.getWidth() / 2, current.getHeight() / 2);
        }
        return current.getWidth() == tw && current.getHeight() == th ? current : scale(current, tw, th);
    }

    /** {@code {height, width}} of an image of {@code h x w} resized to shorter side {@code side}, as {@link #shorterSide}. */
    public static int[] shorterSideSize(int h, int w, int side) {
        return new int[]{w <= h ? (int) Math.max(side, (long) side * h / w) : side,
                w <= h ? side : (int) Math.max(side, (long) side * w / h)};
    }

    /** {@code img} as a baseline JPEG of the given quality in (0, 1] (ImageIO's JPEG writer, 4:2:0). */
    public static byte[] jpeg(BufferedImage img, float quality) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.write(null, new IIOImage(rgb(img), null, null), param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * Writes the {@code h x w} box at ({@code top}, {@code left}) of {@code src}, scaled to {@code outH x outW},
     * as RGB planes (CHW uint8) into {@code out}, mirrored left to right when {@code flip}. The box is cut first, so
     * its edge pixels are repeated rather than its neighbours blended in (torchvision's {@code resized_crop}).
     * Scaling is bilinear at pixel centres (PyTorch's {@code align_corners = False}); where the box is at least twice
     * the output in both directions it is first halved step by step with Java2D (each halving averages 2 x 2
     * pixels), as {@link #fit} does, so that large reductions average instead of alias.
     */
    public static void cropResize(BufferedImage src, int top, int left, int h, int w, int outH, int outW,
                                  boolean flip, byte[] out) {
        if (top < 0 || left < 0 || h < 1 || w < 1 || top + h > src.getHeight() || left + w > src.getWidth()) {
            throw new IllegalArgumentException("crop box top " + top + " left " + left + " " + h + "x" + w
                    + " outside the " + src.getHeight() + "x" + src.getWidth() + " image");
        }
        if (out.length != 3 * outH * outW) {
            throw new IllegalArgumentException("output of " + out.length + " bytes for 3x" + outH + "x" + outW);
        }
        BufferedImage current = src.getSubimage(left, top, w, h);
        if (current.getWidth() / 2 >= outW && current.getHeight() / 2 >= outH) {
            while (current.getWidth() / 2 >= outW && current.getHeight() / 2 >= outH) {
                current = scale(current, current.getWidth() / 2, current.getHeight() / 2);
            }
            sample(current, 0, 0, 0, 0, current.getHeight(), current.getWidth(), 0, 0,
                    (double) current.getHeight() / outH, (double) current.getWidth() / outW, outH, outW, flip, out);
            return;
        }
        sample(src, 0, 0, top, left, h, w, 0, 0, (double) h / outH, (double) w / outW, outH, outW, flip, out);
    }

    /** Each thread's JDK JPEG reader (null when the JDK has none), reused by {@link #decodeRegion}. */
    private static final ThreadLocal<ImageReader> JDK_JPEG = ThreadLocal.withInitial(() -> {
        java.util.Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg");
        ImageReader found = null;
        while (it.hasNext()) {
            ImageReader r = it.next();
            if (found == null && r.getClass().getName().startsWith("com.sun.")) {
                found = r;
            } else {
                r.dispose();
            }
        }
        return found;
    });

    /**
     * Decodes only the rows and columns of {@code encoded} that {@code region} asks for, given the image's
     * {@code (height, width)} from its header: it returns {@code {top, left, height, width}}. The JDK's JPEG reader
     * then converts and copies only that region and stops decoding after its last row. Returns the region as an image
     * whose pixel (0, 0) is the region's top-left corner; {@code size} receives the whole image's height and width.
     * Images that are not JPEGs, or that the JDK reader cannot read (CMYK), are decoded whole by {@link #read} and cut.
     */
    public static BufferedImage decodeRegion(byte[] encoded, java.util.function.BiFunction<Integer, Integer, int[]>
            region, int[] size) throws IOException {
        if (encoded.length == 0) {
            throw new IOException("empty file");
        }
        // a JPEG goes to this thread's JDK reader, kept between images (its native decoder state is allocated once)
        boolean jpeg = encoded.length > 3 && (encoded[0] & 0xff) == 0xff && (encoded[1] & 0xff) == 0xd8;
        ImageReader jdk = jpeg ? JDK_JPEG.get() : null;
        if (jdk != null) {
            try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
                jdk.setInput(in, true, true);
                int h = jdk.getHeight(0);
                int w = jdk.getWidth(0);
                int[] b = region.apply(h, w);
                javax.imageio.ImageReadParam param = jdk.getDefaultReadParam();
                param.setSourceRegion(new java.awt.Rectangle(b[1], b[0], b[3], b[2]));
                BufferedImage img = jdk.read(0, param);
                if (img.getHeight() == b[2] && img.getWidth() == b[3]) {
                    size[0] = h;
                    size[1] = w;
                    return img;
                }
            } catch (IOException | RuntimeException e) {
                // decoded whole below, by every reader in turn
            } finally {
                jdk.reset(); // kept for the next image of this thread
            }
        }
        BufferedImage whole = read(encoded);
        size[0] = whole.getHeight();
        size[1] = whole.getWidth();
        int[] b = region.apply(size[0], size[1]);
        return whole.getSubimage(b[1], b[0], b[3], b[2]);
    }

    /**
     * Bilinear sampling at pixel centres into CHW {@code out}: output pixel (y, x) reads position
     * {@code (y + oy + 0.5)·sy − 0.5} rows and {@code (x + ox + 0.5)·sx − 0.5} columns from the top-left of a
     * {@code h x w} window whose top-left is at ({@code wTop}, {@code wLeft}) in whole-image coordinates, clamped to the
     * window (its edges repeat); {@code img}'s own pixel (0, 0) is at ({@code imgTop}, {@code imgLeft}) there, and it
     * holds every pixel read. ({@code oy}, {@code ox}): the output's offset in a larger resized image, for a crop of it.
     */
    public static void sample(BufferedImage img, int imgTop, int imgLeft, int wTop, int wLeft, int h, int w, int oy,
                              int ox, double sy, double sx, int outH, int outW, boolean flip, byte[] out) {
        int[] x0 = new int[outW];
        int[] x1 = new int[outW];
        float[] fx = new float[outW];
        for (int x = 0; x < outW; x++) {
            double p = Math.min(Math.max((x + ox + 0.5) * sx - 0.5, 0), w - 1);
            int i = (int) p;
            int col = flip ? outW - 1 - x : x;
            x0[col] = wLeft - imgLeft + i;
            x1[col] = wLeft - imgLeft + Math.min(i + 1, w - 1);
            fx[col] = (float) (p - i);
        }
        int iw = img.getWidth();
        int plane = outH * outW;
        java.awt.image.Raster raster = img.getRaster();
        boolean bgr = img.getType() == BufferedImage.TYPE_3BYTE_BGR
                && raster.getDataBuffer() instanceof java.awt.image.DataBufferByte
                && raster.getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel;
        int[] rowA = new int[iw];
        int[] rowB = new int[iw];
        for (int y = 0; y < outH; y++) {
            double p = Math.min(Math.max((y + oy + 0.5) * sy - 0.5, 0), h - 1);
            int i = (int) p;
            float fy = (float) (p - i);
            int ya = wTop - imgTop + i;
            int yb = wTop - imgTop + Math.min(i + 1, h - 1);
            if (bgr) {
                rowsBgr(raster, ya, rowA);
                rowsBgr(raster, yb, rowB);
            } else {
                img.getRGB(0, ya, iw, 1, rowA, 0, iw);
                img.getRGB(0, yb, iw, 1, rowB, 0, iw);
            }
            for (int x = 0; x < outW; x++) {
                int a0 = rowA[x0[x]];
                int a1 = rowA[x1[x]];
                int b0 = rowB[x0[x]];
                int b1 = rowB[x1[x]];
                float u = fx[x];
                int o = y * outW + x;
                for (int c = 0, shift = 16; c < 3; c++, shift -= 8) {
                    float top = (a0 >> shift & 0xff) + u * ((a1 >> shift & 0xff) - (a0 >> shift & 0xff));
                    float bottom = (b0 >> shift & 0xff) + u * ((b1 >> shift & 0xff) - (b0 >> shift & 0xff));
                    out[c * plane + o] = (byte) Math.round(top + fy * (bottom - top));
                }
            }
        }
    }

    /** Row {@code y} of a 3-byte BGR raster as packed RGB ints. */
    private static void rowsBgr(java.awt.image.Raster raster, int y, int[] row) {
        java.awt.image.PixelInterleavedSampleModel sm = (java.awt.image.PixelInterleavedSampleModel)
                raster.getSampleModel();
        byte[] data = ((java.awt.image.DataBufferByte) raster.getDataBuffer()).getData();
        int[] offsets = sm.getBandOffsets();
        int base = raster.getDataBuffer().getOffset() + (y - raster.getSampleModelTranslateY()) * sm.getScanlineStride()
                - raster.getSampleModelTranslateX() * sm.getPixelStride();
        int stride = sm.getPixelStride();
        for (int x = 0; x < row.length; x++) {
            int i = base + x * stride;
            row[x] = (data[i + offsets[0]] & 0xff) << 16 | (data[i + offsets[1]] & 0xff) << 8
                    | (data[i + offsets[2]] & 0xff);
        }
    }

    private static BufferedImage rgb(BufferedImage src) {
        if (src.getType() == BufferedImage.TYPE_INT_RGB) {
            return src;
        }
        BufferedImage out = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(src, 0, 0, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static BufferedImage scale(BufferedImage src, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(src, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** RGB planes, each row-major. */
    static byte[] chw(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        byte[] out = new byte[3 * plane];
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            out[i] = (byte) (p >> 16);
            out[plane + i] = (byte) (p >> 8);
            out[2 * plane + i] = (byte) p;
        }
        return out;
    }
}
