#!/bin/bash
# One recipe ablation for issue 13 (docs/RESULTS.md, "Recipe ablations"): train a teacher with the given
# train-teacher options, then score it at 128² with the structure class test. Resumable: rerun the same line.
#   tools/structure-ablation.sh NAME [train-teacher options...]
#   e.g. tools/structure-ablation.sh C-deep-attn-c64 --crop 64 --mults 1,2,4,4 --attention 3
# Env: ITERS (2000), OUT (runs/ablation), DATA (data/gimp-patterns), CM (the cm command line).
# One thread and passive OpenMP waits: on a shared machine two spinning threads ran 4x slower (RESULTS).
set -eu
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
CM=${CM:-"dotnet run -c Release --project src/ConsistencyModels.Tool --"}
DATA=${DATA:-data/gimp-patterns}
OUT=${OUT:-runs/ablation}
CLS=${CLS:-docs/data/structure/classifier-gimp-128.safetensors}
ITERS=${ITERS:-2000}
name=$1; shift
mkdir -p "$OUT"
run="$OUT/$name"
if [ ! -f "$run/model.safetensors" ]; then
  resume=""; [ -d "$run/checkpoints" ] && resume="--resume"
  start=$(date +%s)
  $CM train-teacher --data "$DATA" --out "$run" --iters "$ITERS" --batch 16 --warmup 200 --sample-every 0 \
    --checkpoint-every 250 $resume "$@" | tee -a "$run.train.log"
  echo "train_seconds $(( $(date +%s) - start ))" | tee -a "$run.train.log"
fi
$CM eval --model "$run/model.safetensors" --data "$DATA" --sampler dpm++2m --steps 12 --size 128 --count 120 \
  --classifier "$CLS" --pictures "$run.classes.png" --json "$run.eval.json" | tee "$run.eval.log"
