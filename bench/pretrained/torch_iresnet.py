#!/usr/bin/env python3
"""An IResNet as InsightFace's arcface_torch defines it (backbones/iresnet.py), written from its description for the
import parity check: module names and shapes are what its state dict holds. Reference code for bench/ only; never a
protospark dependency.

    python3 torch_iresnet.py WORK_DIR [iresnet18|iresnet34|iresnet50|iresnet100] [N_IMAGES]

writes WORK_DIR/backbone.pth (float32 state dict), WORK_DIR/backbone-fp16-module.pth (float16 tensors, DataParallel
"module." prefix), WORK_DIR/images.npy (uint8 N x 112 x 112 x 3, RGB), WORK_DIR/labels.npy, and the embeddings PyTorch
computes for both files with the input normalisation (x / 255 - 0.5) / 0.5: WORK_DIR/torch-fp32.npy, torch-fp16.npy.
"""
import collections
import sys

import numpy as np
import torch
from torch import nn

LAYERS = {"iresnet18": [2, 2, 2, 2], "iresnet34": [3, 4, 6, 3], "iresnet50": [3, 4, 14, 3],
          "iresnet100": [3, 13, 30, 3]}


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5)
        self.prelu = nn.PReLU(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout, eps=1e-5)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=1e-5))

    def forward(self, x):
        y = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return y + (self.downsample(x) if self.downsample is not None else x)


class IResNet(nn.Module):
    def __init__(self, layers, d=512):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=1e-5)
        self.prelu = nn.PReLU(64)
        cin = 64
        for i, (width, n) in enumerate(zip([64, 128, 256, 512], layers)):
            blocks = []
            for b in range(n):
                blocks.append(Block(cin, width, 2 if b == 0 else 1))
                cin = width
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.bn2 = nn.BatchNorm2d(512, eps=1e-5)
        self.fc = nn.Linear(512 * 7 * 7, d)
        self.features = nn.BatchNorm1d(d, eps=1e-5)
        nn.init.constant_(self.features.weight, 1.0)
        self.features.weight.requires_grad = False

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.features(self.fc(torch.flatten(self.bn2(x), 1)))


def main():
    work, name = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "iresnet18"
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    torch.manual_seed(20261207)
    net = IResNet(LAYERS[name]).eval()
    with torch.no_grad():
        # trained-looking statistics, slopes and biases instead of the initial 0 / 1 / 0.25
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.bias.uniform_(-0.2, 0.2)
                if m is not net.features:
                    m.weight.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(1000)
            if isinstance(m, nn.PReLU):
                m.weight.uniform_(0.0, 0.5)
        net.fc.bias.uniform_(-0.1, 0.1)
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, size=(n, 112, 112, 3), dtype=np.uint8)
    np.save(f"{work}/images.npy", images)
    np.save(f"{work}/labels.npy", np.arange(n, dtype=np.int64) % 10)
    x = (torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.5
    sd = net.state_dict()
    torch.save(sd, f"{work}/backbone.pth")
    with torch.no_grad():
        np.save(f"{work}/torch-fp32.npy", net(x).numpy().astype(np.float64))
    half = collections.OrderedDict(("module." + k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
    torch.save(half, f"{work}/backbone-fp16-module.pth")
    rounded = IResNet(LAYERS[name]).eval()
    rounded.load_state_dict({k[len("module."):]: v.float() if v.is_floating_point() else v for k, v in half.items()})
    with torch.no_grad():
        np.save(f"{work}/torch-fp16.npy", rounded(x).numpy().astype(np.float64))
    print(f"{name}: {sum(p.numel() for p in net.parameters()):,} parameters, {len(sd)} state-dict entries, "
          f"{n} images; torch {torch.__version__}")


if __name__ == "__main__":
    main()
