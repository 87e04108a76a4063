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
sweep=(deno run --allow-read --allow-write --allow-env --allow-sys main.ts sweep)
run=("${sweep[@]}" --preset mnist-tau --seeds 0,1,2 --device gpu --quiet)
mkdir -p "$out"

# shards NAME N ARGS...: N shards of one sweep side by side, each logging to NAME/shardI.log.
shards() {
  local name=$1 n=$2
  shift 2
  mkdir -p "$out/$name"
  for ((i = 0; i < n; i++)); do
    "${run[@]}" "$@" --shard "$i/$n" --out "$out/$name/shard$i" >"$out/$name/shard$i.log" 2>&1 &
  done
}

# merge NAME: one sweep of the shards that finished, with its summary in NAME.txt; a shard whose log does
# not end in its summary shows its last lines.
merge() {
  local log
  for log in "$out/$1"/shard*.log; do
    grep -q '^files: ' "$log" || { echo "$log did not finish:"; tail -n 5 "$log"; }
  done
  "${sweep[@]}" --merge "$out/$1"/shard*/ --out "$out/$1-all" | tee "$out/$1.txt" || true
}

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
