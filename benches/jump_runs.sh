#!/usr/bin/env bash
# Whole-run times of JUMP-1 against SF (scenarios/bench/jump.byz): each run
# of the file five times (REPS), interleaved so that the machine's drift
# falls on all of them alike, then the median wall time of each and its ratio
# to SF's run under the same rule. Needs data/mnist (scripts/fetch-mnist).
set -euo pipefail
cd "$(dirname "$0")/.."
file=scenarios/bench/jump.byz
reps=${REPS:-5}
cargo build --release --quiet
byz=target/release/byz
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mapfile -t runs < <("$byz" plan "$file" | awk 'length($2) == 16 && $2 ~ /^[0-9a-f]+$/ { key = $2; $1 = ""; $2 = ""; sub(/ *seed.*/, ""); print key "|" substr($0, 3) }')
declare -A times
for _ in $(seq "$reps"); do
  for run in "${runs[@]}"; do
    key=${run%%|*}
    start=$(date +%s.%N)
    "$byz" run "$file" --runs "$key" --fresh -q --out "$out" >/dev/null
    times[$key]+="$(echo "$(date +%s.%N) - $start" | bc) "
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -A sf
for run in "${runs[@]}"; do
  key=${run%%|*} label=${run#*|}
  m=$(echo "${times[$key]}" | median)
  [[ $label == *"[attack sf]" ]] && sf[${label%% *}]=$m
  printf '%-44s %6.2f s  %5.2f× SF\n' "$label" "$m" "$(echo "$m / ${sf[${label%% *}]}" | bc -l)"
done
