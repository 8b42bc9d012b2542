#!/usr/bin/env python3
"""Markdown table from `cm eval --json` files.

Usage: tools/eval-table.py [--ref FILE] LABEL=FILE ...
Each row: sampler, NFE, SWD mean (and its ratio to --ref's SWD), SWD per level, spectrum distance, seam error,
diversity, nearest-crop ratio, ODE error E. A file's real-data floor (cm eval --real) is printed as its own row.
"""
import json
import sys


def main(argv):
    ref = None
    if len(argv) > 1 and argv[0] == "--ref":
        ref = json.load(open(argv[1]))["swd_mean"]
        argv = argv[2:]
    ratio_head = " | × ref" if ref else ""
    print(f"| model | sampler | NFE | SWD ×10³{ratio_head} | SWD 64/32/16 px | spectrum | seam | diversity | nearest | E |")
    print("|---|---|---:|---:|" + ("---:|" if ref else "") + "---|---:|---:|---:|---:|---:|")
    for item in argv:
        label, path = item.split("=", 1)
        d = json.load(open(path))
        levels = " / ".join(f"{x:.1f}" for x in d["swd_per_level"])
        e = d.get("ode_error")
        e = f"{e:.3f}" if isinstance(e, (int, float)) else "–"
        sampler = f"{d['sampler']} {d['steps']}" + (f" (S_churn {d['churn']:g})" if "churn" in d else "")
        ratio = f" | {d['swd_mean'] / ref:.2f}" if ref else ""
        print(f"| {label} | {sampler} | {d['nfe']} | **{d['swd_mean']:.1f}**{ratio} | {levels} | "
              f"{d['spectrum_distance']:.3f} | {d['seam_error']:.2f} | {d['diversity']:.2f} | {d['nearest_crop']:.2f} | {e} |")
        f = d.get("real_floor")
        if f:
            levels = " / ".join(f"{x:.1f}" for x in f["swd_per_level"])
            ratio = f" | {f['swd_mean'] / ref:.2f}" if ref else ""
            print(f"| real crops (floor) | – | – | **{f['swd_mean']:.1f}**{ratio} | {levels} | {f['spectrum_distance']:.3f} | "
                  f"{f['seam_error']:.2f} | {f['diversity']:.2f} | {f['nearest_crop']:.2f} | – |")


if __name__ == "__main__":
    main(sys.argv[1:])
