#!/bin/bash
# serve.sh — foundry serve against llama-server on the same GGUF and GPU:
# for 1, 8 and 32 concurrent streams (128-token prompts, 128 output tokens,
# ignore_eos, greedy), each server started with that many slots (foundry
# --parallel N; llama-server -fa on -np N -c N*PER_SLOT, all layers on the
# GPU), bench_loadgen's JSON per run, one table, and `foundry run`'s
# generation speed on the same file for the "one stream >= 90% of run" check.
#   tools/gpu/serve.sh OUTDIR GGUF LLAMA_BIN_DIR      (repository root, after build-gpu/ is built)
# Each server lives < 60 s. Env: STREAMS ("1 8 32"), PER_SLOT (512), REQS (requests per stream, 2),
# FOUNDRY_MODEL (foundry's model options, default "-m GGUF"; "--synthetic tiny --backend cpu" tries the
# script on a CPU machine).
set -u
OUT=$1; GGUF=$2; LB=$3
B=${B:-build-gpu}; F=$B/foundry; LG=$B/bench_loadgen
STREAMS=${STREAMS:-1 8 32}; PER_SLOT=${PER_SLOT:-512}; REQS=${REQS:-2}
export FOUNDRY_CACHE_DIR=${FOUNDRY_CACHE_DIR:-/tmp/fdcache}
FM=${FOUNDRY_MODEL:--m $GGUF}
mkdir -p "$OUT"
for x in "$F" "$LG" "$LB/llama-server"; do [ -x "$x" ] || { echo "serve.sh: $x is missing"; exit 1; }; done
nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tee "$OUT/card.txt"

# foundry run: the single-sequence speed the server's one stream is held to (same prompt shape)
PROMPT=$(python3 -c "print('Story 0:' + ''.join([' the',' cat',' sat',' on',' a',' red',' mat',' and',' saw',' one',' big',' dog'][(i*7)%12] for i in range(125)))")
timeout 120 "$F" run $FM -p "$PROMPT" -n 128 --ignore-eos --temp 0 -c $PER_SLOT >"$OUT/run.txt" 2>&1
RUN_TPS=$(sed -n 's/.*generation: [0-9]* tokens, \([0-9.]*\) tok\/s.*/\1/p' "$OUT/run.txt" | tail -1)
echo "foundry run: ${RUN_TPS:-?} tok/s generation ($(grep -o 'prompt: [0-9]* tokens' "$OUT/run.txt"))"

wait_up() {  # wait_up URL PID LOG: /health answers 200 within 90 s
  for _ in $(seq 900); do
    kill -0 "$2" 2>/dev/null || { echo "server died:"; tail -5 "$3"; return 1; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/health")" = 200 ] && return 0
    sleep 0.1
  done
  echo "server did not come up:"; tail -5 "$3"; return 1
}
stop() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1"; }

for n in $STREAMS; do
  # foundry serve
  log="$OUT/foundry_serve_$n.log"
  "$F" serve $FM --host 127.0.0.1 --port 0 --parallel "$n" -c $PER_SLOT --alias m --drain 5 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 900); do grep -q "listening on" "$log" && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log")
  if [ -n "$url" ] && wait_up "$url" $pid "$log"; then
    timeout 60 "$LG" --url "$url" --streams "$n" --requests "$REQS" --prompt-tokens 128 --max-tokens 128 --model m \
      >"$OUT/foundry_$n.json" 2>"$OUT/foundry_$n.err"
    curl -s "$url/metrics" >"$OUT/foundry_metrics_$n.txt"
  fi
  stop $pid
  # llama-server, its best configuration: flash attention, N slots of PER_SLOT tokens, every layer on the GPU
  port=$((18080 + n)); log="$OUT/llama_server_$n.log"
  "$LB/llama-server" -m "$GGUF" -fa on -np "$n" -c $((n * PER_SLOT)) -ngl 999 --host 127.0.0.1 --port $port >"$log" 2>&1 &
  pid=$!
  if wait_up "http://127.0.0.1:$port" $pid "$log"; then
    timeout 60 "$LG" --url "http://127.0.0.1:$port" --streams "$n" --requests "$REQS" --prompt-tokens 128 --max-tokens 128 \
      --model m >"$OUT/llama_$n.json" 2>"$OUT/llama_$n.err"
  fi
  stop $pid
done

python3 - "$OUT" "${RUN_TPS:-0}" "$STREAMS" <<'PY'
import json, sys, os
out, run_tps, streams = sys.argv[1], float(sys.argv[2] or 0), sys.argv[3].split()
def load(n):
    try: return json.load(open(os.path.join(out, n)))
    except Exception: return None
card = open(os.path.join(out, "card.txt")).read().strip()
print(f"\nserving {card}: 128-token prompts, 128 output tokens (ignore_eos, greedy); ITL = gaps between text deltas,")
print("TPOT = (last - first delta) / (tokens - 1) per stream; errors are failed requests")
print(f"{'streams':>7} {'server':<13} {'tok/s':>8} {'TTFT p50':>9} {'TTFT p99':>9} {'ITL p50':>8} {'ITL p99':>8} {'TPOT p50':>9} {'TPOT p99':>9} {'err':>4}")
rows = {}
for n in streams:
    for name, f in (("foundry", f"foundry_{n}.json"), ("llama-server", f"llama_{n}.json")):
        d = load(f); rows[(n, name)] = d
        if not d: print(f"{n:>7} {name:<13} {'(no result: see ' + f.replace('.json', '.err') + ')'}"); continue
        print(f"{n:>7} {name:<13} {d['tokens_per_s']:>8.1f} {d['ttft_ms']['p50']:>9.2f} {d['ttft_ms']['p99']:>9.2f} "
              f"{d['itl_ms']['p50']:>8.2f} {d['itl_ms']['p99']:>8.2f} {d['tpot_ms']['p50']:>9.2f} {d['tpot_ms']['p99']:>9.2f} {d['errors']:>4}")
one = rows.get(("1", "foundry")); peer = rows.get(("1", "llama-server"))
if one and run_tps:
    r = one["tokens_per_s"] / run_tps
    print(f"\none stream: foundry serve {one['tokens_per_s']:.1f} tok/s = {100*r:.1f}% of foundry run's {run_tps:.1f} "
          f"(target >= 90%: {'PASS' if r >= 0.9 else 'FAIL'}); 1000/TPOT p50 = {1000/one['tpot_ms']['p50']:.1f} tok/s")
if one and peer:
    print(f"one stream vs llama-server: {one['tokens_per_s']:.1f} vs {peer['tokens_per_s']:.1f} tok/s "
          f"({'ahead' if one['tokens_per_s'] > peer['tokens_per_s'] else 'BEHIND'})")
PY
