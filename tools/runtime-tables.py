#!/usr/bin/env python3
"""Markdown tables from the runtime benchmark's JSON (QuickBench: ConsistencyModels.Runtime.Benchmarks --out FILE).

Usage: tools/runtime-tables.py [FILE]   (default docs/data/runtime-bench.json)
Prints: textures/s per size, steps and variant (with the Auto column the runtime uses by default), the per-stage
split of a frame with the runtime's share, managed bytes per frame by path, and the native-memory soak.
"""
import json
import sys


def main(path):
    d = json.load(open(path))
    rows = d["throughput"]

    def get(size, steps, prec, fwd, tuned=True):
        return next((r for r in rows if r["size"] == size and r["steps"] == steps and r["precision"] == prec
                     and r["forward"] == fwd and r.get("tuned", True) == tuned), None)

    fixed_any = any(not r.get("tuned", True) for r in rows)
    threads = lambda r: f" [{r['threads']}t]" if r.get("threads") else ""
    head = "| size | steps | fp32, module (op by op) | fp32, compiled | bf16, compiled | **Auto** (what the runtime uses) | compiled ÷ module (fp32) |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    if fixed_any:
        head += " Auto with threads fixed | tuned ÷ fixed |"
        rule += "---:|---:|"
    print(head)
    print(rule)
    for size in sorted({r["size"] for r in rows}):
        for steps in (1, 2):
            m, c, b = get(size, steps, "fp32", "module"), get(size, steps, "fp32", "compiled"), get(size, steps, "bf16", "compiled")
            if not (m and c and b):
                continue
            # Auto: bf16 on CPUs with native bf16 (data before the thread tuning: from 128² up only).
            auto = b if d.get("nativeBFloat16") and (any("tuned" in r for r in rows) or size * size >= 128 * 128) else c
            line = (f"| {size}² | {steps} | {m['texturesPerSecond']:.1f} ({m['msPerTexture']:.1f} ms){threads(m)} | {c['texturesPerSecond']:.1f}{threads(c)} "
                    f"| {b['texturesPerSecond']:.1f}{threads(b)} | **{auto['texturesPerSecond']:.1f}** ({auto['msPerTexture']:.1f} ms) "
                    f"| {c['texturesPerSecond'] / m['texturesPerSecond']:.2f} |")
            f = next((r for r in rows if r["size"] == size and r["steps"] == steps and not r.get("tuned", True)), None)
            if fixed_any:
                line += (f" {f['texturesPerSecond']:.1f}{threads(f)} | {auto['texturesPerSecond'] / f['texturesPerSecond']:.2f} |" if f else " | |")
            print(line)
    if any(r.get("threads") for r in rows):
        print()
        print("[Nt]: the thread count used (tuned per size unless fixed).")
    print()
    print("| case | noise+slerp ms | forward ms | clamp+copy-out ms | GL upload ms | runtime share |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, v in d.items():
        if k.startswith("breakdown_"):
            _, size, steps, tag = k.split("_")
            print(f"| {size}², {steps.replace('step', ' step')}, {tag} | {v['msNoise']} | {v['msForward']} | {v['msCopyOut']} "
                  f"| {v['msUpload']} | **{v['runtimeSharePercent']} %** |")
    print()
    print("| path (64², steady state) | whole `Generate` 1 step / 2 steps | network evaluations alone 1 / 2 steps |")
    print("|---|---:|---:|")
    stages = upload = None
    for k, v in d.items():
        if k.startswith("managedBytesPerFrame_"):
            tag = k.split("_", 2)[2]
            print(f"| {tag} | {v['generate_1step']} / {v['generate_2step']} | {v['forwardOnly_1step']} / {v['forwardOnly_2step']} |")
            stages, upload = v["runtimeStages_noiseSlerpCopy"], v.get("sinkUpload")
    print(f"| runtime stages alone (noise, slerp, clamp, copy-out) | {stages} | |")
    print(f"| GL sink upload | {upload} | |")
    print()
    for k, points in d.items():
        if not k.startswith("nativeMemory_") or k.endswith("_generator"):
            continue
        size = k.split("_")[-1]
        print(f"Soak: {points[-1]['frame']} frames of {size}², steps alternating 1/2, animated; {d.get(k + '_generator', '')}")
        print()
        print("| frame | RSS MiB | live tensors | managed bytes in `Generate` since frame 100 | gen-0 GCs in `Generate` since frame 100 |")
        print("|---:|---:|---:|---:|---:|")
        for p in points:
            print(f"| {p['frame']} | {p['rssMiB']} | {p['liveTensors']} | {p.get('generateManagedBytesSinceFrame100', 'n/a')} "
                  f"| {p.get('generateGen0CollectionsSinceFrame100', 'n/a')} |")
        print()
    print(f"load average: start {d['loadAverageStart']}, end {d['loadAverageEnd']}; model {d.get('model')}; "
          f"native bf16: {d.get('nativeBFloat16')}; GL: {d.get('gl')}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/data/runtime-bench.json")
