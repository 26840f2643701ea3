#!/usr/bin/env bash
# Benchmarks `protospark assign` (dense and sparse) and, when /usr/bin/python3 (or python3) has SciPy, SciPy's
# linear_sum_assignment on the same .npy files. Prints numbers; it is not a test and CI does not run it.
#
# Usage: bench/assign.sh [dense|sparse|all]      (default all)
# Environment: BENCH_DIR (default /tmp/assign-bench: ~2.4 GB of dense matrices, ~380 MB for the sparse pair),
#              SIZES (default "1000 5000 10000"), KINDS (matrix structures, default the grid below; see
#              bench/gen_assign.py), RUNS (default 3), SPARSE_K (default 93000), SPARSE_D (default 512),
#              SCIPY_PYTHON (the python3 whose SciPy is the reference; default the first of /usr/bin/python3 and
#              python3 on PATH that has it),
#              SPARSE_PREFIX (assign.prefix-dims for the sparse run: auto (default; d/2 at this size), 0 = full gemm, N),
#              PROTOSPARK_DRIVER_MEMORY (launcher heap, default 4g), ASSIGN_THREADS (threads of the dense solver's
#              scan, passed as assign.threads; default 0: the processors available to the JVM, at most 8).
# Each run times ours and then SciPy on the same file (interleaved); medians over RUNS. "cpu" is CPU seconds of the
# solve (ours: the whole JVM, JIT compiler threads included; SciPy: the process), a check on a loaded machine.
# "warm cpu" is the CPU time of our JIT warm-up thread, which runs while the matrix is read (not in "ours s" unless
# it was still running when reading ended, in which case the wait is timed).
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname -- "$here")
dir=${BENCH_DIR:-/tmp/assign-bench}
sizes=${SIZES:-1000 5000 10000}
runs=${RUNS:-3}
what=${1:-all}
mkdir -p "$dir"

py=''
for cand in /usr/bin/python3 python3; do
  if command -v "$cand" > /dev/null && "$cand" -c 'import numpy' 2> /dev/null; then py=$cand; break; fi
done
[[ -n $py ]] || { echo "bench/assign.sh: needs a python3 with numpy to generate the matrices" >&2; exit 1; }
scipy_py=''
for cand in ${SCIPY_PYTHON:-} /usr/bin/python3 python3; do
  if command -v "$cand" > /dev/null && "$cand" -c 'import scipy.optimize' 2> /dev/null; then scipy_py=$cand; break; fi
done

json_field() { "$py" -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1]).get(sys.argv[1], 0))' "$1"; }
median() { "$py" -c 'import statistics,sys; print("%.3f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

if [[ $what == dense || $what == all ]]; then
  threads_opt=()
  [[ -n ${ASSIGN_THREADS:-} ]] && threads_opt=("assign.threads=$ASSIGN_THREADS")
  printf '%-6s %-14s %8s %8s %8s %8s %8s %8s %7s %7s %8s %8s %5s  %s\n' n kind "ours s" "ours cpu" "warm cpu" \
    "wait s" "scipy s" "scipy cpu" ratio worst "ours cmd" "sp cmd" agree load
  # ratio: median SciPy s / median ours s; worst: the smallest ratio of one run's pair; "cmd": whole commands' wall
  # time (ours: JVM start, loading, solve, writing; SciPy: interpreter start, imports, loading, solve)
  for n in $sizes; do
    for kind in ${KINDS:-uniform near-perm cosine-n1-d64 cosine-n4-d64 cosine-n4-d16 random-d16 random-d512 int100 int5000}; do
      f=$dir/$kind-$n.npy
      [[ -f $f ]] || "$py" "$here/gen_assign.py" dense "$n" "$kind" "$f"
      flag=''
      [[ $("$py" "$here/gen_assign.py" maximized "$kind") == yes ]] && flag=--maximize
      ours=() ocpu=() wcpu=() wait=() ocmd=() theirs=() tcpu=() tcmd=() pairs=() loads=() obj='' sobj=''
      for ((r = 0; r < runs; r++)); do
        t0=$(date +%s.%N)
        line=$("$repo/submit/protospark" assign "${threads_opt[@]}" --cost "$f" $flag --out "$dir/sigma-$kind-$n.npy" \
          2> /dev/null | tail -1)
        t1=$(date +%s.%N)
        ours+=("$(json_field seconds <<< "$line")")
        ocpu+=("$(json_field cpu_seconds <<< "$line")")
        wcpu+=("$(json_field warmup_cpu_seconds <<< "$line")")
        wait+=("$(json_field warmup_wait_seconds <<< "$line")")
        ocmd+=("$("$py" -c "print($t1 - $t0)")")
        obj=$(json_field objective <<< "$line")
        if [[ -n $scipy_py ]]; then
          t0=$(date +%s.%N)
          sline=$("$scipy_py" "$here/scipy_assign.py" "$f" $flag)
          t1=$(date +%s.%N)
          theirs+=("$(json_field seconds <<< "$sline")")
          tcpu+=("$(json_field cpu_seconds <<< "$sline")")
          tcmd+=("$("$py" -c "print($t1 - $t0)")")
          pairs+=("$("$py" -c "print(${theirs[-1]} / max(${ours[-1]}, 1e-9))")")
          sobj=$(json_field objective <<< "$sline")
        fi
        loads+=("$(cut -d' ' -f1 /proc/loadavg)")
      done
      om=$(median "${ours[@]}")
      ocm=$(median "${ocpu[@]}")
      wcm=$(median "${wcpu[@]}")
      wm=$(median "${wait[@]}")
      ocmdm=$(median "${ocmd[@]}")
      load=$(median "${loads[@]}")
      if [[ -n $scipy_py ]]; then
        sm=$(median "${theirs[@]}")
        scm=$(median "${tcpu[@]}")
        tcmdm=$(median "${tcmd[@]}")
        ratio=$("$py" -c "print('%.1fx' % ($sm / max($om, 1e-9)))")
        worst=$("$py" -c "import sys; print('%.1fx' % min(float(x) for x in sys.argv[1:]))" "${pairs[@]}")
        agree=$("$py" -c "a, b = $obj, $sobj; print('yes' if abs(a - b) <= 1e-9 * max(1.0, abs(b)) else 'NO %.3g' % (a - b))")
      else
        sm='-' scm='-' tcmdm='-' ratio='-' worst='-' agree='(no scipy)'
      fi
      printf '%-6s %-14s %8s %8s %8s %8s %8s %8s %7s %7s %8s %8s %5s  %s\n' "$n" "$kind" "$om" "$ocm" "$wcm" "$wm" "$sm" \
        "$scm" "$ratio" "$worst" "$ocmdm" "$tcmdm" "$agree" "$load"
    done
  done
fi

if [[ $what == sparse || $what == all ]]; then
  k=${SPARSE_K:-93000}
  d=${SPARSE_D:-512}
  sdir=$dir/sparse-$k-$d
  mkdir -p "$sdir"
  [[ -f $sdir/prototypes.npy ]] || "$py" "$here/gen_assign.py" sparse "$k" "$d" "$sdir"
  start=$(date +%s.%N)
  line=$("$repo/submit/protospark" assign --classes "$sdir/classes.npy" --prototypes "$sdir/prototypes.npy" \
    --out "$sdir/sigma.npy" "assign.prefix-dims=${SPARSE_PREFIX:-auto}" 2> "$sdir/assign.log" | tail -1)
  end=$(date +%s.%N)
  echo "sparse K=$k d=$d: $line"
  "$py" - "$sdir" "$start" "$end" <<'PY'
import json, sys
import numpy as np
d, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
sigma, hidden = np.load(d + "/sigma.npy"), np.load(d + "/hidden.npy")
print("hidden permutation recovered for %d of %d classes; command wall time incl. JVM start and loading %.1f s"
      % (int((sigma == hidden).sum()), len(hidden), end - start))
PY
fi
