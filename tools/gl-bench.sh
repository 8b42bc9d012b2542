#!/usr/bin/env bash
# The GL compute backend's benchmark on a machine with a GPU, headless (EGL: a hardware EGL device first, the route
# NVIDIA's driver offers, then Mesa's surfaceless platform; CM_EGL_PLATFORM=device|surfaceless forces one), written as JSON:
#   tools/gl-bench.sh [OUT.json]         (default gl-bench-<renderer>.json)
# Environment: CM_GL_BENCH_SIZES (default 64,128,256,512), CM_GL_BENCH_STEPS (1,2), CM_GL_BENCH_SECONDS (3),
# CM_GL_BENCH_TORCH=1 to time the libtorch CPU path beside it (off by default on a GPU machine),
# CM_GL_BENCH_PEAK_GFLOPS / CM_GL_BENCH_BANDWIDTH_GBS: the GPU's fp32 peak and memory bandwidth for the roofline
# columns (defaults: 12700 GFLOP/s and 360 GB/s, an RTX 3060-class card). Refuses a software renderer (llvmpipe)
# unless CM_GL_BENCH_ALLOW_SOFTWARE=1, so a missing GPU driver cannot pass for a GPU number.
# The goal of issue 15: 512² at 60 textures/s or more at 1 step on a mid-range GPU (row size 512, steps 1).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_WAIT_POLICY=PASSIVE
# The GL-only benchmark (no libtorch); with CM_GL_BENCH_TORCH=1 the benchmark project that adds the libtorch arms.
if [ "${CM_GL_BENCH_TORCH:-0}" = 1 ]; then
  bench=runtime/ConsistencyModels.Runtime.Benchmarks; run=(dotnet "$bench/bin/Release/net10.0/ConsistencyModels.Runtime.Benchmarks.dll" --gl)
else
  bench=runtime/ConsistencyModels.Runtime.GlBench; run=(dotnet "$bench/bin/Release/net10.0/ConsistencyModels.Runtime.GlBench.dll")
fi
# A machine without .NET (the project's GPU machine): CM_GL_BENCH_EXE names a published GlBench (tools/gl-bench-publish.sh).
if [ -n "${CM_GL_BENCH_EXE:-}" ]; then run=("$CM_GL_BENCH_EXE"); else dotnet build "$bench" -c Release >/dev/null; fi
args=(--sizes "${CM_GL_BENCH_SIZES:-64,128,256,512}" --steps "${CM_GL_BENCH_STEPS:-1,2}" --seconds "${CM_GL_BENCH_SECONDS:-3}"
      --peak-gflops "${CM_GL_BENCH_PEAK_GFLOPS:-12700}" --bandwidth-gbs "${CM_GL_BENCH_BANDWIDTH_GBS:-360}")
probe=$(mktemp)
trap 'rm -f "$probe"' EXIT
# One quick row first: it names the renderer (and fails early when EGL has no GPU).
"${run[@]}" --sizes 64 --steps 1 --seconds 0.2 --rounds 1 --no-torch --out "$probe" | head -n 1
renderer=$(sed -n 's/.*"renderer": "\(.*\)",*/\1/p' "$probe" | head -n 1)
case "$renderer" in
  *llvmpipe*|*softpipe*|*swrast*)
    if [ "${CM_GL_BENCH_ALLOW_SOFTWARE:-0}" != 1 ]; then
      echo "error: EGL gives the software renderer '$renderer', not a GPU (install the GPU's EGL/GL driver, or set CM_GL_BENCH_ALLOW_SOFTWARE=1)" >&2
      exit 1
    fi;;
esac
out=${1:-gl-bench-$(tr -c 'A-Za-z0-9' '-' <<<"$renderer" | tr -s '-' | cut -c1-40 | sed 's/-$//').json}
"${run[@]}" "${args[@]}" --out "$out"
