#!/usr/bin/env python3
"""Markdown tables of the structure metrics (issue 13) from `cm eval --json` files.

Usage: tools/structure-table.py LABEL=FILE ...
Table 1, one row per file (plus its real floor when the file has one): size, NFE, real-normalized SWD (mean, per level,
coarsest level) and the per-set SWD of older tables (mean, coarsest level), and the structure class test (overall,
worst class). Table 2: the structure class test per class, one column per file, with the classifier's ceiling.
"""
import json
import sys


def levels(values):
    return " / ".join(f"{v:.1f}" for v in values)


def share(v):
    return "–" if v is None else f"{100 * v:.0f} %"


def main(argv):
    files = []
    for item in argv:
        label, path = item.split("=", 1)
        files.append((label, json.load(open(path))))
    print("| model | size | NFE | SWD real-norm. ×10³ | per level | coarse | SWD per-set ×10³ | per-set coarse | class test | worst class |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for label, d in files:
        sizes = "/".join(str(s) for s in d["swd_level_sizes"])
        sc = d.get("structure_class")
        print(f"| {label} | {d['size']}² | {d['nfe']} | **{d['swd_real_mean']:.1f}** | {levels(d['swd_real_per_level'])} ({sizes} px) | "
              f"{d['swd_real_coarse']:.1f} | {d['swd_mean']:.1f} | {d['swd_coarse']:.1f} | "
              f"{share(sc['samples']['overall']) if sc else '–'} | {share(sc['samples']['worst']) if sc else '–'} |")
        f = d.get("real_floor")
        if f:
            print(f"| real crops (floor) | {d['size']}² | – | **{f['swd_real_mean']:.1f}** | {levels(f['swd_real_per_level'])} | "
                  f"{f['swd_real_coarse']:.1f} | {f['swd_mean']:.1f} | {f['swd_coarse']:.1f} | "
                  f"{share(sc['real']['overall']) if sc else '–'} | {share(sc['real']['worst']) if sc else '–'} |")
    with_class = [(label, d["structure_class"]) for label, d in files if "structure_class" in d]
    if not with_class:
        return
    print()
    print("| class | " + " | ".join(label for label, _ in with_class) + " | ceiling (held-out) |")
    print("|---|" + "---:|" * (len(with_class) + 1))
    ceiling = with_class[0][1]["ceiling_per_class"]
    for name in with_class[0][1]["samples"]["per_class"]:
        cells = [share(sc["samples"]["per_class"].get(name)) for _, sc in with_class]
        print(f"| {name} | " + " | ".join(cells) + f" | {share(ceiling.get(name))} |")
    print("| **overall** | " + " | ".join(f"**{share(sc['samples']['overall'])}**" for _, sc in with_class)
          + f" | **{share(with_class[0][1]['ceiling'])}** |")


if __name__ == "__main__":
    main(sys.argv[1:])
