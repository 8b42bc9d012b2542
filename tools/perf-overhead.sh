#!/usr/bin/env bash
# Where a frame's CPU time goes: libtorch's kernels vs .NET (managed code, runtime, JIT) vs the TorchSharp binding.
# Samples the runtime benchmark's --forward-loop with perf (cpu-clock, no hardware counters needed) after a 6 s
# warm-up and classifies every sample by the code it hit. Needs linux-perf (apt-get install linux-perf).
# Usage: tools/perf-overhead.sh [SIZE=128] [PRECISION=fp32] [FORWARD=module|compiled] [SECONDS=20] [THREADS=1]
set -euo pipefail
size=${1:-128} precision=${2:-fp32} forward=${3:-module} seconds=${4:-20} threads=${5:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
dotnet build -c Release "$root/runtime/ConsistencyModels.Runtime.Benchmarks" > /dev/null
dll="$root/runtime/ConsistencyModels.Runtime.Benchmarks/bin/Release/net10.0/ConsistencyModels.Runtime.Benchmarks.dll"
data=$(mktemp /tmp/perf-overhead.XXXXXX)
OMP_WAIT_POLICY=PASSIVE perf record -q -e cpu-clock -F 999 -D 6000 -o "$data" \
    dotnet "$dll" --forward-loop $((seconds + 6)) --size "$size" --precision "$precision" --forward "$forward" --threads "$threads"
# .NET's W^X double mapping hides JIT-compiled managed code behind 'memfd:doublemapper'; oneDNN's own JIT kernels
# (the convolutions) run from anonymous memory, which perf names /tmp/perf-PID.map.
perf script -i "$data" -F ip,dso 2>/dev/null | awk '
  { c = "other (libstdc++, loader)";
    if ($0 ~ /doublemapper/) c = ".NET managed code";
    else if ($0 ~ /libcoreclr|libclrjit|System\.Private/) c = ".NET runtime + JIT";
    else if ($0 ~ /libLibTorchSharp/) c = "TorchSharp C binding";
    else if ($0 ~ /\[JIT\]|perf-[0-9]+\.map/) c = "libtorch: oneDNN JIT kernels";
    else if ($0 ~ /libtorch|libc10|libgomp/) c = "libtorch: ATen, MKL, OpenMP";
    else if ($0 ~ /kernel/) c = "kernel (page faults of fresh buffers)";
    else if ($0 ~ /libc\.so|libm\./) c = "libc (malloc, memcpy)";
    n[c]++; t++ }
  END { for (c in n) printf "| %s | %.1f %% |\n", c, 100 * n[c] / t > "/dev/stderr"; printf "%d samples\n", t }' 2>&1 | sort -t'|' -k3 -nr
rm -f "$data"
