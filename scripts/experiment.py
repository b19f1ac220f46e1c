#!/usr/bin/env python3
"""Trains settings of one recipe over several seeds and compares their test accuracy.

    scripts/experiment.py --seeds 1,2,3 --out out/dropout \\
        --setting dropout= --setting no-dropout=--no-dropout \\
        -- --variant mini --epochs 7 --lr 0.04 --lr-steps 6

runs `build/bin/alexnet train RECIPE SETTING --seed S --out OUT/NAME-S` for every setting and
seed, then prints each setting's test top-1 per seed, its mean ± standard deviation over the
seeds, and how far each setting lies from the first in standard errors of the difference of
the means — with the binomial standard error of one test accuracy beside it, so that a
conclusion says no more than the error bars allow (chapters 12 and 14).
"""
import argparse
import math
import re
import subprocess
import sys
from pathlib import Path

TEST_LINE = re.compile(r"^test \(.*\): top-1 (?P<top1>[\d.]+)%, top-5 [\d.]+%, loss (?P<loss>[\d.]+) "
                       r"\((?P<images>[\d,]+) images\)$", re.M)
EPOCH_LINE = re.compile(r"^epoch \d+: .*; validation loss [\d.]+ top-1 (?P<top1>[\d.]+)%", re.M)


def mean_and_sd(values):
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, float("nan")
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def train(alexnet, recipe, setting, seed, out):
    """One run; its test top-1 (%), test loss, number of test images and last validation top-1 (%),
    from what it prints."""
    command = [alexnet, "train", *recipe, *setting, "--seed", str(seed), "--out", str(out)]
    print("$ " + " ".join(command), flush=True)
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found = TEST_LINE.search(result.stdout)
    epochs = EPOCH_LINE.findall(result.stdout)
    if result.returncode != 0 or not found or not epochs:
        sys.exit(f"experiment: the run failed (exit {result.returncode}):\n{result.stdout[-3000:]}")
    print("  " + found.group(0), flush=True)
    return (float(found.group("top1")), float(found.group("loss")), int(found.group("images").replace(",", "")),
            float(epochs[-1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     usage="%(prog)s [options] --setting NAME=FLAGS... -- RECIPE...")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    parser.add_argument("--setting", action="append", required=True, metavar="NAME=FLAGS",
                        help="a setting: its name and the train flags it adds (may be empty); the first is the baseline")
    parser.add_argument("--out", default="out/experiment", help="folder of the runs, NAME-SEED each")
    parser.add_argument("--alexnet", default="build/bin/alexnet", help="the alexnet command")
    parser.add_argument("recipe", nargs=argparse.REMAINDER, help="after --: the flags every run shares")
    args = parser.parse_args()
    recipe = args.recipe[1:] if args.recipe[:1] == ["--"] else args.recipe
    seeds = [int(seed) for seed in args.seeds.split(",")]
    settings = []
    for text in args.setting:
        name, _, flags = text.partition("=")
        settings.append((name, flags.split()))
    runs = {(name, seed): Path(args.out) / f"{name}-{seed}" for name, _ in settings for seed in seeds}
    taken = [str(path) for path in runs.values() if path.exists()]
    if taken:
        sys.exit("experiment: these run folders exist already (remove them or choose another --out): "
                 + ", ".join(taken))

    results = {}
    for name, flags in settings:
        for seed in seeds:
            results[(name, seed)] = train(args.alexnet, recipe, flags, seed, runs[(name, seed)])

    print()
    width = max(len(name) for name, _ in settings)
    summary = {}
    if len(seeds) == 1:  # no spread to show: one row of numbers per setting
        print(f"{len(settings)} settings, seed {seeds[0]}:")
        print(f"{'setting':<{width}}  test top-1   test loss   last val top-1")
    else:
        print(f"{len(settings)} settings x {len(seeds)} seeds, the test top-1 of each run:")
        print(f"{'setting':<{width}}  " + "".join(f"seed {seed:<4} " for seed in seeds)
              + "  test top-1 mean ± sd   test loss mean ± sd   last val top-1 mean")
    for name, _ in settings:
        top1 = [results[(name, seed)][0] for seed in seeds]
        summary[name] = mean_and_sd(top1)
        loss_mean, loss_sd = mean_and_sd([results[(name, seed)][1] for seed in seeds])
        validation, _ = mean_and_sd([results[(name, seed)][3] for seed in seeds])
        if len(seeds) == 1:
            print(f"{name:<{width}}  {top1[0]:9.2f}%   {loss_mean:9.4f}   {validation:13.2f}%")
            continue
        print(f"{name:<{width}}  " + "".join(f"{value:6.2f}%   " for value in top1)
              + f"  {summary[name][0]:6.2f} ± {summary[name][1]:.2f}%     {loss_mean:.4f} ± {loss_sd:.4f}"
              + f"      {validation:6.2f}%")
    baseline, _ = settings[0]
    if len(seeds) == 1:
        print("one seed: no spread over seeds, so no standard error of a difference")
    else:
        for name, _ in settings[1:]:
            (a, sd_a), (b, sd_b) = summary[baseline], summary[name]
            error = math.sqrt((sd_a ** 2 + sd_b ** 2) / len(seeds))
            print(f"{name} - {baseline}: {b - a:+.2f} points, standard error of the difference {error:.2f} "
                  f"({(b - a) / error if error > 0 else float('nan'):+.1f} standard errors)")
    images = results[(baseline, seeds[0])][2]
    p = summary[baseline][0] / 100
    print(f"binomial standard error of one test accuracy near {100 * p:.1f}% on {images:,} images: "
          f"{100 * math.sqrt(p * (1 - p) / images):.2f} points")


if __name__ == "__main__":
    main()
