"""Recomputes an `evaluate` of verification pairs with InsightFace's own `evaluate` (verification.py) on the `embed`
output of the same model and pairs, and checks that every number agrees to 1e-6:

  submit/protospark evaluate --model RUN --data PAIRS --split SET --out EV
  submit/protospark embed    --model RUN --data PAIRS --split SET --out EMB --flip-sum true
  HYPARQUET_DIR=... INSIGHTFACE_VERIFICATION=.../verification.py \
    /usr/bin/python3 bench/metrics/verification_recompute.py EV EMB SET

The embeddings (flip-summed, as evaluate computes them) are L2-normalised with scikit-learn and interleaved
(a0, b0, a1, b1, …) as InsightFace's test loop does; the distances of predictions.parquet are checked against
InsightFace's squared distances of the same embeddings."""
import glob, json, os, subprocess, sys
import numpy as np
import sklearn.preprocessing
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import insightface_ref

ev_dir, emb_dir, name = sys.argv[1:4]
read = lambda f: json.loads(subprocess.check_output(["node", os.path.join(HERE, "read_parquet.mjs"), f]))
rows = sorted((r for f in sorted(glob.glob(f"{emb_dir}/part-*.parquet")) for r in read(f)), key=lambda r: r["id"])
pred = sorted((r for r in read(f"{ev_dir}/predictions.parquet") if r["set"] == name), key=lambda r: r["id"])
assert [r["id"] for r in rows] == [r["id"] for r in pred], "embed and evaluate hold different pairs"
issame = np.array([r["same"] for r in rows])
emb = np.empty((2 * len(rows), len(rows[0]["embedding_a"])))
emb[0::2] = [r["embedding_a"] for r in rows]
emb[1::2] = [r["embedding_b"] for r in rows]
emb = sklearn.preprocessing.normalize(emb)
v = json.load(open(f"{ev_dir}/evaluation.json"))["verification"][name]
ref = insightface_ref.load(os.environ["INSIGHTFACE_VERIFICATION"])
tpr, fpr, acc, val, val_std, far = ref["evaluate"](emb, issame, nrof_folds=10)
dist = np.sum(np.square(emb[0::2] - emb[1::2]), 1)
checks = [
    ("distance (predictions.parquet)", np.array([r["distance"] for r in pred]), dist),
    ("roc.accuracy_mean", v["roc"]["accuracy_mean"], acc.mean()),
    ("roc.accuracy_std", v["roc"]["accuracy_std"], acc.std()),
    ("roc.fold_accuracy", np.array(v["roc"]["fold_accuracy"]), acc),
    ("roc.tpr", np.array(v["roc"]["tpr"]), tpr),
    ("roc.fpr", np.array(v["roc"]["fpr"]), fpr),
    ("val.val_mean", v["val"]["val_mean"], val),
    ("val.val_std", v["val"]["val_std"], val_std),
    ("val.far_mean", v["val"]["far_mean"], far),
]
worst = 0.0
for what, ours, theirs in checks:
    d = float(np.max(np.abs(np.asarray(ours, float) - np.asarray(theirs, float))))
    worst = max(worst, d)
    print(f"{what:32s} max |difference| {d:.3g}")
print(f"{name}: {len(rows)} pairs, accuracy {acc.mean():.4f} ± {acc.std():.4f}, TAR {val:.4f} at FAR {far:.4g}")
assert worst <= 1e-6, f"a difference above 1e-6: {worst}"
print("recomputed with InsightFace's evaluate: all within 1e-6")
