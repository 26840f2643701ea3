#!/usr/bin/env bash
# Kill and resume: the main job's configuration (conf/fashion-mnist.conf, real Fashion-MNIST, local Spark) trained
# EPOCHS epochs without interruption, then the same command started on a second run directory and killed with SIGKILL
# (the driver's whole process group) at KILLS random moments, started again after each kill. The final model of the
# killed-and-resumed run must equal the uninterrupted run's bit for bit (parameters and updater state), and its
# metrics.jsonl must hold the same values but seconds and throughput.
#
# Usage: bench/kill_resume.sh            (job jar built: mvn -B -ntp install -DskipTests)
# Settings (environment): EPOCHS (4), KILLS (5), SEED (random; the kill moments' seed), OUT (/tmp/protospark-kill-resume),
#   EXTRA (more path=value overrides for every start, e.g. "train.workers=2").
# Prints one line per start (delay before the kill, whether it was killed, the checkpoints it found and left) and the
# comparison; exits 1 when the models differ.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EPOCHS="${EPOCHS:-4}"
KILLS="${KILLS:-5}"
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

start_train() { # run dir, log; runs in its own process group so that one kill takes the launcher and the JVM
  setsid "$ROOT/submit/protospark" train "${COMMON[@]}" --run-dir "$1" >>"$2" 2>&1 &
  echo $!
}

t0=$(date +%s.%N)
pid=$(start_train "$OUT/whole" "$OUT/whole.log")
wait "$pid" || { echo "the uninterrupted run failed; see $OUT/whole.log" >&2; exit 1; }
whole=$(echo "$(date +%s.%N) - $t0" | bc)
printf 'uninterrupted run: %.0f s\n' "$whole"

RANDOM=$SEED
printf 'kill moments: seeded %s, uniform in [3 s, %.0f s] after each start\n' "$SEED" "$(echo "$whole * 0.6" | bc)"
printf '%-6s %-9s %-8s %-26s %-26s\n' start delay_s killed checkpoints_before checkpoints_after
for i in $(seq 1 "$KILLS"); do
  before=$(ls "$OUT/killed/checkpoints" 2>/dev/null | grep '^epoch-' | tr '\n' ',' || true)
  span=$(echo "($whole * 0.6 - 3) * 1000" | bc | cut -d. -f1)
  delay_ms=$((3000 + (RANDOM * 32768 + RANDOM) % span))
  delay=$(echo "scale=3; $delay_ms / 1000" | bc)
  pid=$(start_train "$OUT/killed" "$OUT/killed.log")
  killed=no
  end=$(( $(date +%s%N) / 1000000 + delay_ms ))
  while kill -0 "$pid" 2>/dev/null && [ $(( $(date +%s%N) / 1000000 )) -lt $end ]; do sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 -- "-$pid" 2>/dev/null || true
    killed=yes
  fi
  wait "$pid" 2>/dev/null || true
  after=$(ls "$OUT/killed/checkpoints" 2>/dev/null | grep '^epoch-' | tr '\n' ',' || true)
  printf '%-6s %-9s %-8s %-26s %-26s\n' "$i" "$delay" "$killed" "${before:-none}" "${after:-none}"
  echo "---- killed start $i ($killed after $delay s)" >>"$OUT/killed.log"
done
pid=$(start_train "$OUT/killed" "$OUT/killed.log")
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
