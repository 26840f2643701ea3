package io.protospark.data.image;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDecoderTest {
    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }

    @Test
    void exactResizeAndGreyToRgb() throws IOException {
        BufferedImage grey = new BufferedImage(20, 10, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 20; x++) {
                grey.getRaster().setSample(x, y, 0, 77);
            }
        }
        byte[] chw = new ImageDecoder(4, ImageDecoder.Resize.EXACT).decode(encode(grey, "png"));
        assertEquals(48, chw.length);
        for (byte b : chw) {
            assertEquals(77, b & 0xff);
        }
    }

    @Test
    void shorterSideCropKeepsTheCentre() throws IOException {
        // 40 x 20: left quarter red, middle half green, right quarter blue; shorter side 20 -> 10, crop the centre
        BufferedImage img = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, x < 10 ? 0xff0000 : x < 30 ? 0x00ff00 : 0x0000ff);
            }
        }
        byte[] chw = new ImageDecoder(10, ImageDecoder.Resize.SHORTER_SIDE_CROP).decode(encode(img, "png"));
        byte[] green = new byte[300];
        java.util.Arrays.fill(green, 100, 200, (byte) 255);
        assertArrayEquals(green, chw);
    }

    @Test
    void garbageAndEmptyAreIoErrors() {
        ImageDecoder d = new ImageDecoder(4, ImageDecoder.Resize.EXACT);
        assertTrue(assertThrows(IOException.class, () -> d.decode(new byte[0])).getMessage().contains("empty"));
        assertThrows(IOException.class, () -> d.decode(new byte[]{1, 2, 3, 4, 5}));
        assertThrows(IOException.class, () -> d.decode(new byte[]{(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0}));
    }

    /**
     * Bilinear at pixel centres (align_corners = False) by hand: a 2 x 2 image doubled samples columns at
     * -0.25 (clamped to 0), 0.25, 0.75 and 1.25 (clamped to 1), so a row (a, b) becomes a, (3a + b) / 4, (a + 3b) / 4, b;
     * flipped, the row is mirrored.
     */
    @Test
    void cropResizeIsBilinearAtPixelCentresAndFlips() {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_3BYTE_BGR);
        img.setRGB(0, 0, 0x000000);
        img.setRGB(1, 0, 0x800000); // red 128
        img.setRGB(0, 1, 0x004000); // green 64
        img.setRGB(1, 1, 0x0040c8); // green 64, blue 200
        byte[] out = new byte[3 * 4 * 4];
        ImageDecoder.cropResize(img, 0, 0, 2, 2, 4, 4, false, out);
        // red, row 0: 0, 32, 96, 128; rows 1, 2 blend rows 0 and 1 (red 0 in row 1) at 3:1 and 1:3
        assertArrayEquals(new int[]{0, 32, 96, 128}, unsigned(out, 0, 4));
        assertArrayEquals(new int[]{0, 24, 72, 96}, unsigned(out, 4, 4));
        assertArrayEquals(new int[]{0, 8, 24, 32}, unsigned(out, 8, 4));
        // green: 0 in row 0, 64 in row 1 -> rows 0, 16, 48, 64 whatever the column
        assertArrayEquals(new int[]{16, 16, 16, 16}, unsigned(out, 16 + 4, 4));
        // blue, last row: 0, 50, 150, 200
        assertArrayEquals(new int[]{0, 50, 150, 200}, unsigned(out, 32 + 12, 4));
        byte[] flipped = new byte[out.length];
        ImageDecoder.cropResize(img, 0, 0, 2, 2, 4, 4, true, flipped);
        assertArrayEquals(new int[]{128, 96, 32, 0}, unsigned(flipped, 0, 4));
        // a box of the image at its own size is copied exactly
        byte[] same = new byte[3];
        ImageDecoder.cropResize(img, 1, 1, 1, 1, 1, 1, false, same);
        assertArrayEquals(new int[]{0, 64, 200}, unsigned(same, 0, 3));
    }

    @Test
    void aRegionDecodesToTheSamePixelsAsTheWholeJpeg() throws IOException {
        BufferedImage img = new BufferedImage(61, 45, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 45; y++) {
            for (int x = 0; x < 61; x++) {
                img.setRGB(x, y, (x * 4) << 16 | (y * 5) << 8 | ((x * y) & 0xff));
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, "jpeg", jpeg));
        BufferedImage whole = ImageDecoder.decodeImage(jpeg.toByteArray());
        int[] size = new int[2];
        BufferedImage region = ImageDecoder.decodeRegion(jpeg.toByteArray(), (h, w) -> new int[]{7, 11, 20, 30}, size);
        assertArrayEquals(new int[]{45, 61}, size);
        assertEquals(30, region.getWidth());
        assertEquals(20, region.getHeight());
        assertArrayEquals(whole.getRGB(11, 7, 30, 20, null, 0, 30), region.getRGB(0, 0, 30, 20, null, 0, 30));
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.decodeRegion(new byte[]{1, 2, 3},
                (h, w) -> new int[]{0, 0, 1, 1}, size));
        assertTrue(e.getMessage().contains("not an image"), e.getMessage());
    }

    private static int[] unsigned(byte[] b, int from, int n) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = b[from + i] & 0xff;
        }
        return v;
    }
}
