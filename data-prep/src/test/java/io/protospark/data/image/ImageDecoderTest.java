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
}
