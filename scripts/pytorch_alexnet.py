#!/usr/bin/env python3
"""The paper's two-tower AlexNet in PyTorch, timed: the yardstick of chapters 13 (CPU) and 15 (GPU).

The identical network: grouped convolutions (groups = 2) for CONV2, CONV4, CONV5, LRN
inside each tower with PyTorch's alpha = n * the paper's alpha (5 * 1e-4), dropout 0.5
after FC6 and FC7, FP32. Prints one line per measurement:

    pytorch forward batch 16: 612.3 ms, 26.13 images/s
    pytorch train-step batch 16: 1830.2 ms, 8.74 images/s

Usage: pytorch_alexnet.py --threads T --batch B [--batch B ...] [--repeats R] [--device cpu|cuda]
                          [--precision fp32|tf32] [--variant paper|mini]
On CUDA, TF32 is switched off unless --precision tf32, so that both sides compute in the same precision.
--variant mini is the course's mini network (3@32x32, maps 24-48-48-48-32, FC 256-256-10).
PyTorch is optional: the course never depends on it (scripts/bench_cpu.sh runs this
only when `import torch` works).
"""
import argparse
import time

import torch
import torch.nn as nn


class TowerLRN(nn.Module):
    """The paper's LRN with its window inside each of `towers` channel groups."""

    def __init__(self, towers=2):
        super().__init__()
        self.towers = towers
        self.lrn = nn.LocalResponseNorm(5, alpha=5 * 1e-4, beta=0.75, k=2.0)

    def forward(self, x):
        return torch.cat([self.lrn(part) for part in x.chunk(self.towers, dim=1)], dim=1)


def two_tower_alexnet(maps, conv1, conv2, side_after_pools, hidden, classes):
    """The course's layer table as PyTorch layers: five convolutions (CONV2, CONV4, CONV5 grouped), LRN inside
    each tower after CONV1 and CONV2, three overlapping poolings, three fully connected layers with dropout.
    conv1, conv2: (kernel, stride, padding); CONV3-5 are 3x3, stride 1, padding 1."""
    m1, m2, m3, m4, m5 = maps
    return nn.Sequential(
        nn.Conv2d(3, m1, *conv1), nn.ReLU(), TowerLRN(), nn.MaxPool2d(3, 2),
        nn.Conv2d(m1, m2, *conv2, groups=2), nn.ReLU(), TowerLRN(), nn.MaxPool2d(3, 2),
        nn.Conv2d(m2, m3, 3, 1, 1), nn.ReLU(),
        nn.Conv2d(m3, m4, 3, 1, 1, groups=2), nn.ReLU(),
        nn.Conv2d(m4, m5, 3, 1, 1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(m5 * side_after_pools ** 2, hidden), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(hidden, classes))


def paper_alexnet():
    return two_tower_alexnet((96, 256, 384, 384, 256), (11, 4, 0), (5, 1, 2), 6, 4096, 1000)


def mini_alexnet():
    """The course's mini network: 3@32x32, maps 24-48-48-48-32, FC 256-256-10."""
    return two_tower_alexnet((24, 48, 48, 48, 32), (3, 1, 1), (3, 1, 1), 3, 256, 10)


def median_ms(work, repeats, device):
    def timed():
        start = time.perf_counter()
        work()
        if device == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - start) * 1000.0

    timed()  # warm-up: oneDNN or cuDNN pick and cache their kernels
    times = [timed() for _ in range(repeats)]
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch", type=int, action="append", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--precision", choices=["fp32", "tf32"], default="fp32")
    parser.add_argument("--variant", choices=["paper", "mini"], default="paper")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tf32 = args.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.manual_seed(2012)
    net = (mini_alexnet() if args.variant == "mini" else paper_alexnet()).to(args.device)
    side, classes = (32, 10) if args.variant == "mini" else (227, 1000)
    sgd = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    where = (torch.cuda.get_device_name() + f", cuDNN {torch.backends.cudnn.version()}" if args.device == "cuda" else
             f"{torch.get_num_threads()} threads, oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")
    print(f"pytorch {torch.__version__}, {args.variant} network, {where}, {args.precision}")
    for batch in args.batch:
        x = torch.randn(batch, 3, side, side, device=args.device)
        labels = torch.randint(0, classes, (batch,), device=args.device)
        net.eval()
        with torch.no_grad():
            ms = median_ms(lambda: net(x), args.repeats, args.device)
        print(f"pytorch forward batch {batch}: {ms:.2f} ms, {1000.0 * batch / ms:.2f} images/s")
        net.train()

        def step():
            sgd.zero_grad()
            nn.functional.cross_entropy(net(x), labels).backward()
            sgd.step()

        ms = median_ms(step, args.repeats, args.device)
        print(f"pytorch train-step batch {batch}: {ms:.2f} ms, {1000.0 * batch / ms:.2f} images/s")


if __name__ == "__main__":
    main()
