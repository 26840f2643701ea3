package io.protospark.model.backbone;

/**
 * Residual networks built from BasicBlocks and Bottlenecks (He et al., "Deep Residual Learning for Image
 * Recognition", CVPR 2016), in three layouts: kuangliu/pytorch-cifar (3×3 stem, stride 1, four stages 64…512),
 * He's CIFAR nets as used by HPN (three stages 16/32/64) and torchvision's ImageNet ResNet (7×7/2 stem, 3×3/2 max-pool).
 *
 * <p>Blocks follow PyTorch exactly: BasicBlock = conv3×3(s)-BN-ReLU-conv3×3-BN, plus shortcut, then ReLU;
 * Bottleneck (torchvision v1.5, stride on the 3×3) = conv1×1-BN-ReLU-conv3×3(s)-BN-ReLU-conv1×1(4×)-BN, plus
 * shortcut, then ReLU. Convolutions have no bias.
 */
final class ResNets {
    private ResNets() {
    }

    /** How the shortcut projects when the shape changes. */
    enum Shortcut {
        /** conv1×1 with the block's stride + BN (kuangliu, torchvision). */
        CONV1X1_BN,
        /** conv3×3 with the block's stride + BN (HPN's CIFAR ResNet, per METHODS §5.4). */
        CONV3X3_BN,
        /**
         * He et al.'s option A, parameter-free: x[:, :, ::2, ::2] and zero channels (DL2PA's long-tail ResNet-32);
         * see {@link GraphDsl#zeroPadShortcut}. Only for a doubled width.
         */
        ZERO_PAD_A
    }

    /** Stem: 3×3 conv stride 1 with {@code width} channels + BN + ReLU. */
    static String cifarStem(GraphDsl n, String in, int width) {
        String x = n.conv(in, "stem_conv", 3, 1, 1, width, false);
        x = n.bn(x, "stem_bn");
        return n.relu(x, "stem_relu");
    }

    /** Stem: 7×7/2 conv pad 3 (64) + BN + ReLU + 3×3/2 max-pool pad 1 (torchvision). */
    static String imagenetStem(GraphDsl n, String in) {
        String x = n.conv(in, "stem_conv", 7, 2, 3, 64, false);
        x = n.bn(x, "stem_bn");
        x = n.relu(x, "stem_relu");
        return n.maxPool(x, "stem_pool", 3, 2, 1);
    }

    /**
     * Stacks stages of blocks. Stage i has {@code blocks[i]} blocks of width {@code widths[i]}; its first block has
     * stride {@code strides[i]}. Returns the last vertex; its channel count is widths[last]·expansion.
     */
    static String stages(GraphDsl n, String in, int inChannels, int[] blocks, int[] widths, int[] strides,
                         boolean bottleneck, Shortcut shortcut) {
        String x = in;
        int channels = inChannels;
        for (int s = 0; s < blocks.length; s++) {
            for (int b = 0; b < blocks[s]; b++) {
                int stride = b == 0 ? strides[s] : 1;
                String name = "s" + (s + 1) + "b" + (b + 1);
                x = bottleneck
                        ? bottleneck(n, x, name, channels, widths[s], stride)
                        : basic(n, x, name, channels, widths[s], stride, shortcut);
                channels = widths[s] * (bottleneck ? 4 : 1);
            }
        }
        return x;
    }

    static String basic(GraphDsl n, String in, String p, int inC, int width, int stride, Shortcut shortcut) {
        String x = n.conv(in, p + "_conv1", 3, stride, 1, width, false);
        x = n.bn(x, p + "_bn1");
        x = n.relu(x, p + "_relu1");
        x = n.conv(x, p + "_conv2", 3, 1, 1, width, false);
        x = n.bn(x, p + "_bn2");
        String sc = in;
        if (stride != 1 || inC != width) {
            if (shortcut == Shortcut.ZERO_PAD_A) {
                sc = n.zeroPadShortcut(in, p + "_sc", inC, width, stride);
            } else {
                int k = shortcut == Shortcut.CONV3X3_BN ? 3 : 1;
                sc = n.conv(in, p + "_sc_conv", k, stride, k / 2, width, false);
                sc = n.bn(sc, p + "_sc_bn");
            }
        }
        return n.relu(n.add(p + "_add", x, sc), p + "_out");
    }

    static String bottleneck(GraphDsl n, String in, String p, int inC, int width, int stride) {
        int out = 4 * width;
        String x = n.conv(in, p + "_conv1", 1, 1, 0, width, false);
        x = n.bn(x, p + "_bn1");
        x = n.relu(x, p + "_relu1");
        x = n.conv(x, p + "_conv2", 3, stride, 1, width, false);
        x = n.bn(x, p + "_bn2");
        x = n.relu(x, p + "_relu2");
        x = n.conv(x, p + "_conv3", 1, 1, 0, out, false);
        x = n.bn(x, p + "_bn3");
        String sc = in;
        if (stride != 1 || inC != out) {
            sc = n.conv(in, p + "_sc_conv", 1, stride, 0, out, false);
            sc = n.bn(sc, p + "_sc_bn");
        }
        return n.relu(n.add(p + "_add", x, sc), p + "_out");
    }

    /** kuangliu ResNet-18 (BasicBlock [2,2,2,2], 64/128/256/512), 512-d pooled feature. */
    static String resnet18Cifar(GraphDsl n, String in) {
        String x = cifarStem(n, in, 64);
        return stages(n, x, 64, new int[]{2, 2, 2, 2}, new int[]{64, 128, 256, 512}, new int[]{1, 2, 2, 2},
                false, Shortcut.CONV1X1_BN);
    }

    /** kuangliu ResNet-50 (Bottleneck [3,4,6,3]), 2048-d pooled feature. */
    static String resnet50Cifar(GraphDsl n, String in) {
        String x = cifarStem(n, in, 64);
        return stages(n, x, 64, new int[]{3, 4, 6, 3}, new int[]{64, 128, 256, 512}, new int[]{1, 2, 2, 2},
                true, Shortcut.CONV1X1_BN);
    }

    /**
     * A small ResNet for 28×28 and 32×32 images, sized for a CPU budget: 3×3 stem (32) + BN + ReLU, 2×2 max-pool, then
     * one BasicBlock at 32 channels and one at 64 (stride 2, conv1×1 + BN shortcut); 64-d pooled feature. About 7 M
     * multiply-adds per 28×28 image, a sixth of ResNet-20's.
     */
    static String small(GraphDsl n, String in) {
        String x = cifarStem(n, in, 32);
        x = n.maxPool(x, "stem_pool", 2, 2, 0);
        return stages(n, x, 32, new int[]{1, 1}, new int[]{32, 64}, new int[]{1, 2}, false, Shortcut.CONV1X1_BN);
    }

    /** He et al.'s CIFAR ResNet-(6n+2) in HPN's layout: n BasicBlocks per stage, 16/32/64, 64-d pooled feature. */
    static String heCifar(GraphDsl n, String in, int blocksPerStage, Shortcut shortcut) {
        String x = cifarStem(n, in, 16);
        int[] blocks = {blocksPerStage, blocksPerStage, blocksPerStage};
        return stages(n, x, 16, blocks, new int[]{16, 32, 64}, new int[]{1, 2, 2}, false, shortcut);
    }

    /** torchvision ResNet-50 (7×7/2 stem, max-pool, Bottleneck [3,4,6,3]), 2048-d pooled feature. */
    static String resnet50Imagenet(GraphDsl n, String in) {
        String x = imagenetStem(n, in);
        return stages(n, x, 64, new int[]{3, 4, 6, 3}, new int[]{64, 128, 256, 512}, new int[]{1, 2, 2, 2},
                true, Shortcut.CONV1X1_BN);
    }
}
