#!/usr/bin/env bash
# Runs the "Recomputing the numbers" Python block of docs/evaluation.md, unchanged, on an `evaluate` output
# directory: pandas.read_parquet is served by node's hyparquet (Debian packages pandas and scikit-learn, not pyarrow).
#
# Usage: bench/metrics/recompute.sh OUT_DIR
# Needs /usr/bin/python3 with python3-pandas and python3-sklearn (apt), node, and hyparquet: HYPARQUET_DIR names a
# directory with `npm install hyparquet hyparquet-compressors` done (installed into a temporary one when unset).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(cd "$1" && pwd)"
if [[ -z ${HYPARQUET_DIR:-} ]]; then
  HYPARQUET_DIR="$(mktemp -d)"
  trap 'rm -rf "$HYPARQUET_DIR"' EXIT
  (cd "$HYPARQUET_DIR" && npm install --silent hyparquet hyparquet-compressors > /dev/null)
fi
export HYPARQUET_DIR
snippet="$(awk '/^### Recomputing the numbers/ {s = 1} s && /^```python$/ {p = 1; next} p && /^```$/ {exit} p' \
  "$ROOT/docs/evaluation.md")"
[[ -n $snippet ]] || { echo "no python block under '### Recomputing the numbers' in docs/evaluation.md" >&2; exit 1; }
/usr/bin/python3 - "$OUT" "$ROOT/bench/metrics/read_parquet.mjs" <<PY
import json, subprocess, sys
import pandas as pd
out_dir, reader = sys.argv[1], sys.argv[2]
pd.read_parquet = lambda path: pd.DataFrame(json.loads(subprocess.check_output(["node", reader, path])))
code = '''$snippet'''.replace('out = "runs/fmnist/evaluation/final-test"', f"out = {out_dir!r}")
assert f"out = {out_dir!r}" in code, "the snippet's out = ... line changed; update bench/metrics/recompute.sh"
exec(compile(code, "docs/evaluation.md", "exec"))
PY
