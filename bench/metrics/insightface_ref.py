"""InsightFace's verification functions (LFold, calculate_roc, calculate_val, evaluate, …) executed from their own
file, recognition/arcface_torch/eval/verification.py, without its mxnet/torch imports. `interpolate` is SciPy <= 1.8's
interp1d(kind='slinear') (stable sort, no duplicate check), which calculate_val was written against; newer SciPy
refuses the repeated FAR values it passes (`real=True` gives the installed SciPy instead)."""
import types
import numpy as np
import sklearn, sklearn.preprocessing
from scipy import interpolate as real_interpolate
from scipy.interpolate import BSpline
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold


class _Slinear18:
    """interp1d(x, y, kind='slinear') as SciPy <= 1.8 builds it: stable sort, k=1 B-spline, no duplicate check."""
    def __init__(self, x, y, kind):
        assert kind == "slinear"
        x = np.asarray(x, float); y = np.asarray(y, float)
        i = np.argsort(x, kind="mergesort"); self.x = x[i]
        self.s = BSpline.construct_fast(np.r_[self.x[0], self.x, self.x[-1]], y[i], 1)

    def __call__(self, xn):
        if np.any(xn < self.x[0]) or np.any(xn > self.x[-1]): raise ValueError("out of range")
        return self.s(xn)


def load(path, real=False):
    """The namespace of verification.py's functions from LFold up to its first torch-decorated function."""
    src = open(path).read()
    src = src[src.index("class LFold"): src.index("@torch.no_grad()")]
    interp = real_interpolate if real else types.SimpleNamespace(interp1d=_Slinear18)
    ns = {"np": np, "interpolate": interp, "KFold": KFold, "PCA": PCA, "sklearn": sklearn}
    exec(src, ns)
    return ns
