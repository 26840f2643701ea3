"""The metrics of io.protospark.metrics against the reference Python code: generates inputs, runs the Java metrics
(Compare.java on common's compiled classes), recomputes with scikit-learn, SciPy, ARPL's compute_oscr and InsightFace's
verification.py, and prints the largest difference per quantity.

Usage (from the repository root, after `mvn -B -ntp install -DskipTests`; needs python3-numpy, python3-scipy and
python3-sklearn from Debian, which are not project dependencies):
  ARPL_EVALUATION=/path/to/ARPL/core/evaluation.py \
  INSIGHTFACE_VERIFICATION=/path/to/insightface/recognition/arcface_torch/eval/verification.py \
  python3 bench/metrics/check.py
Writes in.txt and out.txt (about 100 MB) into the working directory; see docs/evaluation.md for the last results."""
import os, subprocess, sys
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
import numpy as np, scipy, sklearn
from sklearn.metrics import top_k_accuracy_score, confusion_matrix, balanced_accuracy_score, recall_score, roc_auc_score, roc_curve
from sklearn.model_selection import KFold
from sklearn.decomposition import PCA
import sklearn.preprocessing

rng = np.random.default_rng(2026)
lines = []
def v(name, a): a = np.asarray(a, float).ravel(); lines.append(f"{name} v {a.size} " + " ".join(repr(float(x)) for x in a))
def m(name, a): a = np.asarray(a, float); lines.append(f"{name} m {a.shape[0]} {a.shape[1]} " + " ".join(repr(float(x)) for x in a.ravel()))

# ---- closed set: n=2000, K=100, labels only from 0..97 (classes 98, 99 have no example)
n, K = 2000, 100
labels = rng.integers(0, 98, n)
logits = rng.normal(0, 1, (n, K)); logits[np.arange(n), labels] += rng.normal(2.0, 1.5, n)
scores = {"cont": logits, "ties": np.round(logits * 2) / 2}
m("scores_cont", scores["cont"]); m("scores_ties", scores["ties"]); v("labels", labels)
train_counts = rng.integers(0, 300, K); train_counts[:8] = [19, 20, 100, 101, 0, 1, 99, 21]
v("train_counts", train_counts)
# ---- AUROC
na = 5000; pos = rng.random(na) < 0.3
s_cont = rng.normal(0, 1, na) + pos * 0.8
v("auc_scores_cont", s_cont); v("auc_scores_ties", np.round(s_cont * 4) / 4); v("auc_pos", pos)
# ---- OSCR
n1, n2, C = 1500, 1000, 10
ol = rng.integers(0, C, n1)
lk = rng.normal(0, 1, (n1, C)); lk[np.arange(n1), ol] += 2.5
lu = rng.normal(0, 1, (n2, C)) + 0.5
def softmax(x): e = np.exp(x - x.max(1, keepdims=True)); return e / e.sum(1, keepdims=True)
pk, pu = softmax(lk), softmax(lu)
m("pred_k_cont", pk); m("pred_u_cont", pu); v("oscr_labels", ol)
m("pred_k_ties", np.round(pk, 2)); m("pred_u_ties", np.round(pu, 2))
# ---- verification: a = 6000 pairs d=128 (LFW-sized), b = 1003 pairs d=16 (uneven folds)
ver = {}
for name, npairs, d, noise in (("a", 6000, 128, 4.0), ("b", 1003, 16, 1.2)):
    issame = np.zeros(npairs, bool); issame[rng.permutation(npairs)[: npairs // 2]] = True
    e1 = rng.normal(0, 1, (npairs, d))
    e2 = np.where(issame[:, None], e1 + noise * rng.normal(0, 1, (npairs, d)), rng.normal(0, 1, (npairs, d)))
    raw = np.empty((2 * npairs, d)); raw[0::2] = e1; raw[1::2] = e2
    emb = sklearn.preprocessing.normalize(raw)
    m("emb_" + name, emb); v("issame_" + name, issame); m("raw_" + name, raw)
    ver[name] = (emb, issame, raw)
open("in.txt", "w").write("\n".join(lines) + "\n")

subprocess.run(["nice", "-n", "19", "java", "-cp", os.path.join(ROOT, "common/target/classes"), os.path.join(HERE, "Compare.java"), "in.txt", "out.txt"], check=True)
J = {}
for line in open("out.txt"):
    t = line.split(); J[t[0]] = np.array([float(x) for x in t[2:]])

rows = []
def cmp(what, java, ref, exact_count=False):
    java = np.asarray(java, float).ravel(); ref = np.asarray(ref, float).ravel()
    assert java.shape == ref.shape, (what, java.shape, ref.shape)
    both_nan = np.isnan(java) & np.isnan(ref)
    d = np.where(both_nan, 0.0, np.abs(java - ref))
    bit = int(np.sum((java == ref) | both_nan))
    rows.append((what, float(np.max(d)) if d.size else 0.0, f"{bit}/{java.size}", ref[0] if ref.size == 1 else ""))

# closed set (sklearn)
for s in ("cont", "ties"):
    S = scores[s]
    cmp(f"top-1 accuracy ({s})", J["top1_" + s], top_k_accuracy_score(labels, S, k=1, labels=np.arange(K)))
    cmp(f"top-5 accuracy ({s})", J["top5_" + s], top_k_accuracy_score(labels, S, k=5, labels=np.arange(K)))
    pred = S.argmax(1)
    cmp(f"confusion matrix ({s})", J["confusion_" + s], confusion_matrix(labels, pred, labels=np.arange(K)))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cmp(f"balanced accuracy ({s})", J["balanced_" + s], balanced_accuracy_score(labels, pred))
        rec = recall_score(labels, pred, labels=np.arange(K), average=None, zero_division=np.nan) if False else None
    cm = confusion_matrix(labels, pred, labels=np.arange(K))
    with np.errstate(invalid="ignore", divide="ignore"):
        cmp(f"per-class accuracy ({s})", J["per_class_" + s], np.diag(cm) / cm.sum(1))
    # ECE: Guo et al.'s _ECELoss transcribed to float64 numpy (torch is not installed here)
    p = softmax(S); conf = p.max(1); acc = p.argmax(1) == labels
    edges = np.linspace(0, 1, 16); ece = 0.0; counts = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inb = (conf > lo) & (conf <= hi); counts.append(inb.sum())
        if inb.mean() > 0: ece += abs(conf[inb].mean() - acc[inb].mean()) * inb.mean()
    cmp(f"ECE 15 bins ({s})", J["ece_" + s], ece); cmp(f"ECE bin counts ({s})", J["ece_counts_" + s], counts)
    grp = np.where(train_counts > 100, 0, np.where(train_counts >= 20, 1, 2))[labels]
    cmp(f"head/medium/tail accuracy ({s})", J["longtail_" + s], [np.mean((pred == labels)[grp == g]) for g in range(3)])
# AUROC (sklearn)
for s in ("cont", "ties"):
    sc = np.round(s_cont * 4) / 4 if s == "ties" else s_cont
    cmp(f"AUROC ({s})", J["auroc_" + s], roc_auc_score(pos, sc))
    fpr, tpr, thr = roc_curve(pos, sc, drop_intermediate=False)
    cmp(f"roc_curve fpr ({s})", J["roc_fpr_" + s], fpr); cmp(f"roc_curve tpr ({s})", J["roc_tpr_" + s], tpr)
    cmp(f"roc_curve thresholds[1:] ({s})", J["roc_thr_" + s], thr[1:])
# OSCR (ARPL's compute_oscr, executed from core/evaluation.py)
src = open(os.environ["ARPL_EVALUATION"]).read()
fsrc = src[src.index("def compute_oscr"):]
fsrc = fsrc[: fsrc.index("return OSCR") + len("return OSCR")]
ns = {"np": np}; exec(fsrc, ns)
ns_stable = {"np": np}; exec(fsrc.replace("predict.argsort()", "predict.argsort(kind='stable')"), ns_stable)
cmp("OSCR (cont), compute_oscr as is", J["oscr_cont"], ns["compute_oscr"](pk, pu, ol))
pkt, put_ = np.round(pk, 2), np.round(pu, 2)
cmp("OSCR (ties), compute_oscr with argsort(kind='stable')", J["oscr_ties"], ns_stable["compute_oscr"](pkt, put_, ol))
cmp("OSCR (ties), compute_oscr as is (default argsort)", J["oscr_ties"], ns["compute_oscr"](pkt, put_, ol))

# InsightFace verification.py, functions executed from the file
sys.path.insert(0, HERE)
import insightface_ref
vns = insightface_ref.load(os.environ["INSIGHTFACE_VERIFICATION"])
vns_real = insightface_ref.load(os.environ["INSIGHTFACE_VERIFICATION"], real=True)
for name in ("a", "b"):
    emb, issame, raw = ver[name]
    cmp(f"l2normalize vs sklearn normalize ({name})", J["norm_" + name], emb)
    cmp(f"squared distances ({name})", J["dist_" + name], np.sum(np.square(emb[0::2] - emb[1::2]), 1))
    tpr, fpr, accuracy, val, val_std, far = vns["evaluate"](emb, issame, nrof_folds=10)
    cmp(f"fold accuracies ({name}, {len(issame)} pairs)", J["ver_acc_" + name], accuracy)
    cmp(f"accuracy mean, std ({name})", J["ver_acc_mean_" + name], [np.mean(accuracy), np.std(accuracy)])
    cmp(f"mean tpr curve ({name})", J["ver_tpr_" + name], tpr); cmp(f"mean fpr curve ({name})", J["ver_fpr_" + name], fpr)
    cmp(f"TAR@FAR=1e-3 val, val_std, far ({name})", J["ver_val_" + name], [val, val_std, far])
    try:
        vns_real["evaluate"](emb, issame, nrof_folds=10); real = "runs"
    except ValueError as e:
        real = f"ValueError: {e}"
    rows.append((f"  evaluate() with the installed SciPy {scipy.__version__} ({name})", float("nan"), real, ""))

print(f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}")
print(f"{'quantity':62s} {'max |java - python|':>20s} {'bit-identical':>14s}  reference value")
for what, d, bit, ref in rows:
    print(f"{what:62s} {d:20.3g} {bit:>14s}  {ref}")
