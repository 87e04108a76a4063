# Helpers for the scripts prepared for a short session on a GPU machine (sourced, not run). The caller sets
# `out` (where the sweeps go) and `run` (the sweep command with the arguments every shard shares, as an
# array), and may use `sweep` (the bare sweep command) for merging.
sweep=(deno run --allow-read --allow-write --allow-env --allow-sys main.ts sweep)

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
