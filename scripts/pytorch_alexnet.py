#!/usr/bin/env python3
"""The paper's two-tower AlexNet in PyTorch, timed on the CPU: the yardstick of chapter 13.

The identical network: grouped convolutions (groups = 2) for CONV2, CONV4, CONV5, LRN
inside each tower with PyTorch's alpha = n * the paper's alpha (5 * 1e-4), dropout 0.5
after FC6 and FC7, FP32. Prints one line per measurement:

    pytorch forward batch 16: 612.3 ms, 26.13 images/s
    pytorch train-step batch 16: 1830.2 ms, 8.74 images/s

Usage: pytorch_alexnet.py --threads T --batch B [--batch B ...] [--repeats R] [--device cpu|cuda]
On CUDA, TF32 is switched off so that both sides compute in FP32.
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


def paper_alexnet():
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, 4), nn.ReLU(), TowerLRN(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, 1, 2, groups=2), nn.ReLU(), TowerLRN(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, 1, 1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, 1, 1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, 1, 1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 1000))


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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(2012)
    net = paper_alexnet().to(args.device)
    sgd = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    where = (torch.cuda.get_device_name() + ", TF32 off" if args.device == "cuda" else
             f"{torch.get_num_threads()} threads, oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")
    print(f"pytorch {torch.__version__}, {where}, fp32")
    for batch in args.batch:
        x = torch.randn(batch, 3, 227, 227, device=args.device)
        labels = torch.randint(0, 1000, (batch,), device=args.device)
        net.eval()
        with torch.no_grad():
            ms = median_ms(lambda: net(x), args.repeats, args.device)
        print(f"pytorch forward batch {batch}: {ms:.1f} ms, {1000.0 * batch / ms:.2f} images/s")
        net.train()

        def step():
            sgd.zero_grad()
            nn.functional.cross_entropy(net(x), labels).backward()
            sgd.step()

        ms = median_ms(step, args.repeats, args.device)
        print(f"pytorch train-step batch {batch}: {ms:.1f} ms, {1000.0 * batch / ms:.2f} images/s")


if __name__ == "__main__":
    main()
