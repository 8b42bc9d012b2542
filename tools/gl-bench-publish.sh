#!/usr/bin/env bash
# Publishes the GL-only benchmark (runtime/ConsistencyModels.Runtime.GlBench) trimmed and self-contained into .glbench/
# (git-ignored, about 33 MB): what a GPU machine without .NET runs. With the project's device tool:
#   tools/gl-bench-publish.sh            # here, once; plus the GL loaders into .gl/ (/work/.library/device/README.md)
#   run(carry=[".glbench", ".gl"], command='for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig;
#       export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json;
#       CM_GL_BENCH_EXE=.glbench/ConsistencyModels.Runtime.GlBench CM_GL_BENCH_PEAK_GFLOPS=67000 CM_GL_BENCH_BANDWIDTH_GBS=4800
#       bash tools/gl-bench.sh $OUT/gl-bench-h200.json')
# (H200: about 67 TFLOP/s fp32 without tensor cores, 4.8 TB/s.) The log's first line names the EGL route and renderer.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf .glbench
dotnet publish runtime/ConsistencyModels.Runtime.GlBench -c Release -r linux-x64 --self-contained true -p:PublishTrimmed=true -o .glbench >/dev/null
echo "published .glbench/ConsistencyModels.Runtime.GlBench: $(du -sm .glbench | cut -f1) MB"
