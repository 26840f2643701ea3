#!/usr/bin/env bash
# Kill and resume: the main job's configuration (conf/fashion-mnist.conf, real Fashion-MNIST, local Spark) trained
# EPOCHS epochs without interruption, then the same command started on a second run directory and killed with SIGKILL
# (the driver's whole process group) KILLS times, started again after each kill. The final model of the
# killed-and-resumed run must equal the uninterrupted run's bit for bit (parameters and updater state), and its
# metrics.jsonl must hold the same values but seconds and throughput.
#
# The kills cycle through three kinds: "random" (a seeded uniform moment between 3 s and the uninterrupted run's
# length after the start), "writing" (as soon as a checkpoint is being written: its hidden temporary directory exists)
# and "published" (as soon as a new checkpoint directory appears, before the driver goes on).
#
# Usage: bench/kill_resume.sh            (job jar built: mvn -B -ntp install -DskipTests)
# Settings (environment): EPOCHS (4), KILLS (6), KINDS (the kinds cycled through, "random writing published"),
#   SEED (random; the random kill moments' seed), OUT (/tmp/protospark-kill-resume),
#   EXTRA (more path=value overrides for every start, e.g. "train.workers=2").
# Prints one line per start (kind and moment of the kill, whether it was killed, the checkpoints it found and left) and
# the comparison; exits 1 when the models differ.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EPOCHS="${EPOCHS:-4}"
KILLS="${KILLS:-6}"
KINDS="${KINDS:-random writing published}"
SEED="${SEED:-$RANDOM}"
OUT="${OUT:-/tmp/protospark-kill-resume}"
EXTRA="${EXTRA:-}"
INPUT="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
DATA="$OUT/data"
# a killed driver's lock is taken over once its heartbeat is older than this (the default, 60 s, would make every
# restart wait); the key may differ between starts, it does not change what is trained
COMMON=(--conf "$ROOT/conf/fashion-mnist.conf" --data "$DATA" "train.epochs=$EPOCHS" "train.lock-timeout-seconds=3"
        "train.progress.every-seconds=0")
# shellcheck disable=SC2206
[ -n "$EXTRA" ] && COMMON+=($EXTRA)

rm -rf "$OUT"
mkdir -p "$OUT"
"$ROOT/submit/protospark" prepare --conf "$ROOT/conf/fashion-mnist.conf" --format idx --input "$INPUT" --output "$DATA" \
  >"$OUT/prepare.log" 2>&1

start_train() { # run dir, log; sets pid. Its own process group, so that one kill takes the launcher and the JVM
  setsid "$ROOT/submit/protospark" train "${COMMON[@]}" --run-dir "$1" >>"$2" 2>&1 &
  pid=$!
}

t0=$(date +%s.%N)
start_train "$OUT/whole" "$OUT/whole.log"
wait "$pid" || { echo "the uninterrupted run failed; see $OUT/whole.log" >&2; exit 1; }
whole=$(echo "$(date +%s.%N) - $t0" | bc)
printf 'uninterrupted run: %.0f s\n' "$whole"

RANDOM=$SEED
printf 'random kill moments: seeded %s, uniform in [3 s, %.0f s] after a start\n' "$SEED" "$whole"
printf '%-6s %-10s %-9s %-8s %-24s %-24s\n' start kind after_s killed checkpoints_before checkpoints_after
read -r -a kinds <<<"$KINDS"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
newest() { ls "$OUT/killed/checkpoints" 2>/dev/null | grep '^epoch-' | tail -1 || true; }
for i in $(seq 1 "$KILLS"); do
  kind=${kinds[$(( (i - 1) % ${#kinds[@]} ))]}
  before=$(ls "$OUT/killed/checkpoints" 2>/dev/null | grep '^epoch-' | tr '\n' ',' || true)
  last=$(newest)
  span=$(echo "($whole - 3) * 1000" | bc | cut -d. -f1)
  delay_ms=$((3000 + (RANDOM * 32768 + RANDOM) % span))
  t_start=$(now_ms)
  start_train "$OUT/killed" "$OUT/killed.log"
  killed=no
  while kill -0 "$pid" 2>/dev/null; do
    case $kind in
      random) [ "$(now_ms)" -ge $((t_start + delay_ms)) ] && break ;;
      writing) compgen -G "$OUT/killed/checkpoints/.epoch-*.tmp-*" >/dev/null && break ;;
      published) [ "$(newest)" != "$last" ] && break ;;
    esac
    sleep 0.02
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 -- "-$pid" 2>/dev/null || true
    killed=yes
  fi
  at=$(echo "scale=2; ($(now_ms) - $t_start) / 1000" | bc)
  wait "$pid" 2>/dev/null || true
  after=$(ls "$OUT/killed/checkpoints" 2>/dev/null | grep '^epoch-' | tr '\n' ',' || true)
  printf '%-6s %-10s %-9s %-8s %-24s %-24s\n' "$i" "$kind" "$at" "$killed" "${before:-none}" "${after:-none}"
  echo "---- start $i killed=$killed ($kind, after $at s)" >>"$OUT/killed.log"
done
start_train "$OUT/killed" "$OUT/killed.log"
wait "$pid" || { echo "the last start of the killed run failed; see $OUT/killed.log" >&2; exit 1; }

python3 - "$OUT/whole" "$OUT/killed" <<'EOF'
import hashlib, json, sys, zipfile
whole, killed = sys.argv[1], sys.argv[2]
def entries(run):
    with zipfile.ZipFile(run + "/model.zip") as z:
        return {n: hashlib.sha256(z.read(n)).hexdigest() for n in ("coefficients.bin", "updaterState.bin")}
def metrics(run):
    out = []
    for line in open(run + "/metrics.jsonl"):
        m = json.loads(line)
        m.pop("seconds"); m.pop("train_examples_per_second")
        out.append(m)
    return out
prov = json.load(open(killed + "/provenance.json"))
print("resumes:", ", ".join("from epoch %d" % r["from_epoch"] for r in prov.get("resumes", [])) or "none")
a, b = entries(whole), entries(killed)
for n in a:
    print("%-18s %s  %s" % (n, "identical" if a[n] == b[n] else "DIFFERENT", a[n][:16]))
same_metrics = metrics(whole) == metrics(killed)
print("metrics.jsonl      %s" % ("identical (but seconds, throughput)" if same_metrics else "DIFFERENT"))
print("final val_accuracy %.4f" % metrics(killed)[-1]["val_accuracy"])
sys.exit(0 if a == b and same_metrics else 1)
EOF
