#!/usr/bin/env bash
# The MNIST tau sweep at a smaller learning rate and with a warm-up, prepared for one short session on a GPU
# machine (README "What is left": does the multi-spike optimum at tau = 10 move with the rate?). On the
# device, after ../shared/tools/device-pack.sh here and with carry [".device"]:
#   bash .device/run.sh bash scripts/gpu_mnist_tau_lr.sh
# Part 1, `--lr 1e-3` over tau 2..40 (30 runs) and the default rate at tau 40 (6 runs; the GPU sweep of
# 2026-11-30 stopped at 20), always runs. Part 2, one epoch of warm-up at the default rate (`--lr-warmup 860`,
# 30 runs), runs only while BUDGET_S (default 420) seconds have not passed, so that a 15-minute device
# session keeps time for start-up and the copy back. Each sweep resumes from its checkpoints when run again.
# Extra arguments go to every sweep: `bash scripts/gpu_mnist_tau_lr.sh --device cpu --epochs 1
# --limit-train 200 --limit-test 100 --hidden 20` is the smoke test on a CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs}/mnist-tau-lr
budget=${BUDGET_S:-420}
source scripts/gpu_sweep_lib.sh
run=("${sweep[@]}" --preset mnist-tau --seeds 0,1,2 --device gpu --quiet)
mkdir -p "$out"

echo "part 1: lr 1e-3 over tau 2..40, the default rate at tau 40"
shards lr1e-3 10 --taus 2,5,10,20,40 --lrs 0.001 "$@"
shards default-lr-tau40 2 --taus 40 "$@"
wait
merge lr1e-3
merge default-lr-tau40
echo "part 1 done after ${SECONDS}s"

if ((SECONDS < budget)); then
  echo "part 2: --lr-warmup 860 at the default rate over tau 2..40"
  shards warm860 10 --taus 2,5,10,20,40 --lr-warmup 860 "$@"
  wait
  merge warm860
  echo "part 2 done after ${SECONDS}s"
else
  echo "part 2 skipped: ${SECONDS}s passed, budget ${budget}s"
fi
