#!/usr/bin/env python3
"""Writes the PyTorch files TorchStateDictTest reads (spark-jobs/src/test/resources/torch/), with a real torch.save.

Run once with /usr/bin/python3 and Debian's python3-torch; the outputs are committed, CI never runs this:
    /usr/bin/python3 bench/make_torch_fixture.py spark-jobs/src/test/resources/torch
"""
import collections
import json
import sys

import torch

out = sys.argv[1]
g = torch.Generator().manual_seed(20261207)
w = torch.randn(4, 3, 2, 2, generator=g)
base = torch.randn(5, 6, generator=g, dtype=torch.float64)
sd = collections.OrderedDict()
sd["conv.weight"] = w                                     # float32, contiguous
sd["fc.weight_t"] = w.reshape(4, 12).t()                  # a transposed view of the same storage
sd["half"] = torch.randn(7, generator=g).half()           # float16
sd["bf16"] = torch.randn(3, generator=g).to(torch.bfloat16)
sd["double_slice"] = base[1:4, 2:5]                       # float64 view with an offset
sd["bn.num_batches_tracked"] = torch.tensor(17)           # int64 scalar
sd["scalar"] = torch.tensor(2.5)
torch.save(sd, f"{out}/state_dict.pth")
torch.save(sd, f"{out}/legacy.pth", _use_new_zipfile_serialization=False)
torch.save(torch.nn.Linear(2, 2), f"{out}/module.pth")    # a whole module, not a state dict
expected = {k: {"shape": list(v.shape), "values": v.float().flatten().tolist(), "dtype": str(v.dtype)}
            for k, v in sd.items()}
with open(f"{out}/state_dict.json", "w") as f:
    json.dump(expected, f)
# the state-dict keys and shapes of an arcface_torch IResNet-18 (bench/pretrained/torch_iresnet.py), for IResNetImportTest
sys.path.insert(0, __file__.rsplit("/", 1)[0] + "/pretrained")
import torch_iresnet  # noqa: E402
net = torch_iresnet.IResNet(torch_iresnet.LAYERS["iresnet18"])
with open(f"{out}/iresnet18-keys.json", "w") as f:
    json.dump([[k, list(v.shape), str(v.dtype)] for k, v in net.state_dict().items()], f)
print("wrote", out, "torch", torch.__version__)
