#!/usr/bin/env python3
"""PyTorch reference for `protospark bench`: the same networks, batch, threads and JSON keys.

Used only by bench/throughput.sh when PyTorch is installed (Debian: apt-get install python3-torch); never by the
build or CI. The architectures mirror io.protospark.model.backbone.Backbones plus the softmax head BenchJob puts on
top (same layer shapes, so the analytic FLOP count is the same):

  resnet20 / resnet32   He et al. CIFAR ResNet, HPN layout (conv3x3+BN shortcuts), 64-d pooled, Linear(64, 10)
  resnet18-cifar        kuangliu ResNet-18 (conv1x1+BN shortcuts), 512-d pooled, Linear(512, 10)
  resnet50-cifar        kuangliu ResNet-50, 2048-d pooled, Linear(2048, 10)
  resnet50-imagenet     torchvision ResNet-50 (v1.5) at 224x224, 2048-d pooled, Linear(2048, 1000)
  cnn9                  MHE CNN-9 (conv+bias, BN eps 1e-3, ReLU; 3 groups + max-pool), fc6 4096 -> 256, Linear(256, 10)
  iresnet50/iresnet100  InsightFace IResNet at 112x112, FC to 512 + BN1d, Linear(512, 1000)
  spherenet9            SphereNet-9 (cosine SphereConv 3x3 128/192/256, 3 per group, each + BN eps 1e-3 + ReLU, max-pool
                        after each group), fc6 = cosine SphereDense 4096 -> 64, Linear(64, 10); SphereConv written
                        with torch ops as protospark defines it: conv(x, w) / (||w|| * ||x-window||), the window norms
                        a conv of sum_c x^2 with a ones kernel, eps 1e-4 inside every norm; autograd does the backward
  small-cnn             protospark's demo net at 28x28x1: conv3x3(16)+ReLU, pool, conv3x3(32)+ReLU, pool,
                        dense 128 ReLU, dense 9, Linear(9, 10)

Usage: torch_bench.py --model NAME --batch B [--iterations N] [--warmup W] [--threads T]
Prints one JSON line: train_img_per_s, infer_img_per_s (batch / median iteration time), their means, gflops
(training, 3x the forward FLOPs), infer_gflops, peak_rss_mb, ...
"""
import argparse
import json
import resource
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - the script is optional
    sys.exit("torch_bench.py needs PyTorch (Debian: apt-get install python3-torch)")


def conv(cin, cout, k, s=1, p=None, bias=False):
    return nn.Conv2d(cin, cout, k, stride=s, padding=k // 2 if p is None else p, bias=bias)


class Basic(nn.Module):
    def __init__(self, cin, width, stride, shortcut_k):
        super().__init__()
        self.c1, self.b1 = conv(cin, width, 3, stride), nn.BatchNorm2d(width)
        self.c2, self.b2 = conv(width, width, 3), nn.BatchNorm2d(width)
        self.sc = None
        if stride != 1 or cin != width:
            self.sc = nn.Sequential(conv(cin, width, shortcut_k, stride), nn.BatchNorm2d(width))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.sc is None else self.sc(x)))


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        out = 4 * width
        self.c1, self.b1 = conv(cin, width, 1), nn.BatchNorm2d(width)
        self.c2, self.b2 = conv(width, width, 3, stride), nn.BatchNorm2d(width)
        self.c3, self.b3 = conv(width, out, 1), nn.BatchNorm2d(out)
        self.sc = None
        if stride != 1 or cin != out:
            self.sc = nn.Sequential(conv(cin, out, 1, stride), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = F.relu(self.b2(self.c2(y)))
        y = self.b3(self.c3(y))
        return F.relu(y + (x if self.sc is None else self.sc(x)))


class ResNet(nn.Module):
    def __init__(self, stem, blocks, widths, strides, bottleneck, shortcut_k, classes):
        super().__init__()
        self.stem = stem
        layers, cin = [], stem_out(stem)
        for n, w, s in zip(blocks, widths, strides):
            for b in range(n):
                st = s if b == 0 else 1
                layers.append(Bottleneck(cin, w, st) if bottleneck else Basic(cin, w, st, shortcut_k))
                cin = w * (4 if bottleneck else 1)
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.body(self.stem(x))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def stem_out(stem):
    return [m for m in stem.modules() if isinstance(m, nn.Conv2d)][-1].out_channels


def cifar_stem(width):
    return nn.Sequential(conv(3, width, 3), nn.BatchNorm2d(width), nn.ReLU())


def imagenet_stem():
    return nn.Sequential(conv(3, 64, 7, 2, 3), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1))


class IBlock(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        self.b1 = nn.BatchNorm2d(cin, eps=1e-5)
        self.c1, self.b2 = conv(cin, width, 3), nn.BatchNorm2d(width, eps=1e-5)
        self.pr = nn.PReLU(width)
        self.c2, self.b3 = conv(width, width, 3, stride), nn.BatchNorm2d(width, eps=1e-5)
        self.sc = None
        if stride != 1 or cin != width:
            self.sc = nn.Sequential(conv(cin, width, 1, stride), nn.BatchNorm2d(width, eps=1e-5))

    def forward(self, x):
        y = self.b3(self.c2(self.pr(self.b2(self.c1(self.b1(x))))))
        return y + (x if self.sc is None else self.sc(x))


class IResNet(nn.Module):
    def __init__(self, layers, h, w, d, classes):
        super().__init__()
        self.stem = nn.Sequential(conv(3, 64, 3), nn.BatchNorm2d(64, eps=1e-5), nn.PReLU(64))
        blocks, cin = [], 64
        for n, width in zip(layers, (64, 128, 256, 512)):
            for b in range(n):
                blocks.append(IBlock(cin, width, 2 if b == 0 else 1))
                cin = width
        self.body = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(512, eps=1e-5)
        self.fc = nn.Linear(512 * (h // 16) * (w // 16), d)
        self.features = nn.BatchNorm1d(d, eps=1e-5)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.bn(self.body(self.stem(x)))
        return self.head(self.features(self.fc(torch.flatten(x, 1))))


class Cnn9(nn.Module):
    def __init__(self, d, classes):
        super().__init__()
        layers, cin = [], 3
        for width in (64, 128, 256):
            for _ in range(3):
                layers += [conv(cin, width, 3, bias=True), nn.BatchNorm2d(width, eps=1e-3, momentum=0.001), nn.ReLU()]
                cin = width
            layers.append(nn.MaxPool2d(2, 2))
        self.body = nn.Sequential(*layers)
        self.fc6 = nn.Linear(256 * 4 * 4, d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.fc6(torch.flatten(self.body(x), 1)))


NORM_EPS = 1e-4


class SphereConv2d(nn.Conv2d):
    """Cosine SphereConv: conv(x, w) / (sqrt(sum w^2 + eps) * sqrt(box(sum_c x^2) + eps)), no bias."""

    def __init__(self, cin, cout, k=3, s=1, p=1):
        super().__init__(cin, cout, k, stride=s, padding=p, bias=False)
        self.register_buffer("ones", torch.ones(1, 1, k, k))

    def forward(self, x):
        y = F.conv2d(x, self.weight, None, self.stride, self.padding)
        x_norm = torch.sqrt(F.conv2d((x * x).sum(1, keepdim=True), self.ones, None, self.stride, self.padding)
                            + NORM_EPS)
        w_norm = torch.sqrt((self.weight * self.weight).sum((1, 2, 3)) + NORM_EPS).view(1, -1, 1, 1)
        return y / x_norm / w_norm


class SphereLinear(nn.Linear):
    """Cosine SphereDense: (x . w) / (sqrt(sum x^2 + eps) * sqrt(sum w^2 + eps)), no bias."""

    def __init__(self, cin, cout):
        super().__init__(cin, cout, bias=False)

    def forward(self, x):
        y = F.linear(x, self.weight)
        x_norm = torch.sqrt((x * x).sum(1, keepdim=True) + NORM_EPS)
        w_norm = torch.sqrt((self.weight * self.weight).sum(1) + NORM_EPS).view(1, -1)
        return y / x_norm / w_norm


class SphereNet9(nn.Module):
    def __init__(self, d, classes):
        super().__init__()
        layers, cin = [], 3
        for width in (128, 192, 256):
            for _ in range(3):
                layers += [SphereConv2d(cin, width), nn.BatchNorm2d(width, eps=1e-3, momentum=0.001), nn.ReLU()]
                cin = width
            layers.append(nn.MaxPool2d(2, 2))
        self.body = nn.Sequential(*layers)
        self.fc6 = SphereLinear(256 * 4 * 4, d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.fc6(torch.flatten(self.body(x), 1)))


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = conv(1, 16, 3, bias=True), conv(16, 32, 3, bias=True)
        self.d1, self.emb, self.head = nn.Linear(32 * 7 * 7, 128), nn.Linear(128, 9), nn.Linear(9, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.head(self.emb(F.relu(self.d1(torch.flatten(x, 1)))))


# name -> (builder, input shape C, H, W, classes); the same inputs and class counts as BenchJob
MODELS = {
    "resnet20": (lambda: ResNet(cifar_stem(16), [3, 3, 3], [16, 32, 64], [1, 2, 2], False, 3, 10), (3, 32, 32)),
    "resnet32": (lambda: ResNet(cifar_stem(16), [5, 5, 5], [16, 32, 64], [1, 2, 2], False, 3, 10), (3, 32, 32)),
    "resnet18-cifar": (lambda: ResNet(cifar_stem(64), [2, 2, 2, 2], [64, 128, 256, 512], [1, 2, 2, 2], False, 1, 10),
                       (3, 32, 32)),
    "resnet50-cifar": (lambda: ResNet(cifar_stem(64), [3, 4, 6, 3], [64, 128, 256, 512], [1, 2, 2, 2], True, 1, 10),
                       (3, 32, 32)),
    "resnet50-imagenet": (lambda: ResNet(imagenet_stem(), [3, 4, 6, 3], [64, 128, 256, 512], [1, 2, 2, 2], True, 1,
                                         1000), (3, 224, 224)),
    "cnn9": (lambda: Cnn9(256, 10), (3, 32, 32)),
    "spherenet9": (lambda: SphereNet9(64, 10), (3, 32, 32)),
    "iresnet50": (lambda: IResNet([3, 4, 14, 3], 112, 112, 512, 1000), (3, 112, 112)),
    "iresnet100": (lambda: IResNet([3, 13, 30, 3], 112, 112, 512, 1000), (3, 112, 112)),
    "small-cnn": (SmallCnn, (1, 28, 28)),
}


def forward_flops(model, shape):
    """2 * multiply-adds of every Conv2d and Linear for one image (the count BenchJob makes from DL4J's shapes)."""
    total = [0]

    def conv_hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total[0] += 2 * k * out.shape[1] * out.shape[2] * out.shape[3]

    def linear_hook(m, inp, out):
        total[0] += 2 * m.in_features * m.out_features

    hooks = [m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else linear_hook)
             for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, *shape))
    for h in hooks:
        h.remove()
    return total[0]


def timed(step, iterations, warmup):
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    return seconds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="0 = torch's default")
    a = ap.parse_args(argv)
    if a.batch < 1 or a.iterations < 1 or a.warmup < 0 or a.threads < 0:
        ap.error("--batch and --iterations must be >= 1, --warmup and --threads >= 0")
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    start = time.perf_counter()
    build, shape = MODELS[a.model]
    model = build()
    flops = forward_flops(model, shape)
    classes = model.head.out_features
    x = torch.randn(a.batch, *shape)
    y = torch.arange(a.batch) % classes
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)

    def train_step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def infer_step():
        with torch.no_grad():
            model(x)

    model.train()
    train = timed(train_step, a.iterations, a.warmup)
    model.eval()
    infer = timed(infer_step, a.iterations, a.warmup)
    train_ips = a.batch / statistics.median(train)
    infer_ips = a.batch / statistics.median(infer)
    gflop = flops / 1e9
    print(json.dumps({
        "impl": "pytorch-" + torch.__version__,
        "model": a.model,
        "batch": a.batch,
        "threads": torch.get_num_threads(),
        "input": list(shape),
        "classes": classes,
        "params": sum(p.numel() for p in model.parameters()),
        "iterations": a.iterations,
        "train_img_per_s": round(train_ips, 3),
        "infer_img_per_s": round(infer_ips, 3),
        "train_img_per_s_mean": round(a.batch / statistics.mean(train), 3),
        "infer_img_per_s_mean": round(a.batch / statistics.mean(infer), 3),
        "gflop_per_img_fwd": round(gflop, 6),
        "gflops": round(3 * gflop * train_ips, 3),
        "infer_gflops": round(gflop * infer_ips, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 3),
        "seconds": round(time.perf_counter() - start, 3),
    }))


if __name__ == "__main__":
    main()
