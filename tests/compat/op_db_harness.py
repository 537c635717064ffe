"""Run torch's operator database (OpInfo ``op_db``) through dpt and torch and compare.

For every OpInfo, its float32 and float64 sample inputs go through torch and, converted,
through the dpt function of the same name; outputs are compared (values, dtypes, shapes),
and for float64 samples of differentiable ops the input gradients of a random cotangent
(vector-Jacobian products) are compared too. ``check_op(opinfo)`` returns a verdict;
``python -m tests.compat.op_db_harness [--json] [op names]`` prints the summary and (for the
whole database) writes tests/compat/op_db_status.md, every op that does not pass with the
reason, and with --json op_db_expected.json, the expected failures of test_op_db.py.

Allowed differences, each reasoned:
- random ops are compared by value: dpt's CPU generator is torch's, and torch's
  ``wrapper_set_seed`` (seed 42) seeds dpt the same way; only RANDOM (uninitialised
  ``empty*``, and ops whose draws do not follow torch's yet) is compared by shape and dtype,
  and so are the attention samples that draw a dropout mask (_draws_dropout);
- ties in sort/topk-like indices (TIE_INDICES): the indices must pick the same values;
- eigenvectors and singular vectors (VECTOR_SIGN): only defined up to sign/phase, so those
  ops are compared through their reconstructions or values;
- sparse, masked, quantized and aten-internal OpInfos are out of scope (SKIPPED_PREFIXES, and
  every OpInfo whose op is an aten operator object, torch.ops.aten.*, or a private torch._ name);
- torch's float64 Bessel functions j0/j1/y0/y1 are off by up to ~8.5e-7 near x ~ 5 (its
  rational approximation for x > 5 drops Cephes' implicit leading 1.0 of the denominator;
  dpt agrees with mpmath to 1e-14), so TORCH_INACCURATE compares them to 1e-6 absolute.
"""
from __future__ import annotations

import collections
import inspect
import math
import os
import sys

import numpy as np
import torch

import dpt

RANDOM = {"nn.functional.rrelu", "empty", "empty_like", "new_empty", "empty_strided",
          "new_empty_strided", "empty_permuted"}
TIE_INDICES = {"sort", "argsort", "topk", "kthvalue", "mode", "median", "nanmedian", "max",
               "min", "argmax", "argmin", "msort", "cummax", "cummin"}
VECTOR_SIGN = {"linalg.eig", "linalg.eigh", "linalg.svd", "svd", "linalg.eigvals",
               "pca_lowrank", "svd_lowrank", "linalg.qr", "qr", "geqrf"}
SKIPPED_PREFIXES = ("sparse.", "masked.", "_", "to_sparse", "jiterator_", "ops.aten",
                    "torch.ops", "quantile_q", "special.airy_ai")
DTYPES = (torch.float32, torch.float64)
TOL = {torch.float32: (1.3e-5, 1e-5), torch.float64: (1e-7, 1e-7)}
TORCH_INACCURATE = {"special.bessel_j0": 1e-6, "special.bessel_j1": 1e-6,
                    "special.bessel_y0": 1e-6, "special.bessel_y1": 1e-6}


def _seeded(f, *a, **k):
    """torch's wrapper_set_seed: seed 42 for the call, the state restored afterwards."""
    with dpt.random.fork_rng():
        dpt.manual_seed(42)
        return f(*a, **k)


def _translate_lambda(fn):
    """A ``lambda ...: torch...`` OpInfo wrapper rewritten for dpt, or None."""
    try:
        path, first = inspect.getsourcefile(fn), fn.__code__.co_firstlineno
        with open(path) as f:
            src = "".join(f.readlines()[first - 1:first + 14])  # a lambda spans a few lines
    except (OSError, TypeError):
        return None
    start = src.find("lambda")
    if start < 0:
        return None
    text = src[start:].replace("torch.", "dpt.").replace("\n", " ")
    namespace = {"dpt": dpt, "np": np, "math": math,
                 "wrapper_set_seed": _seeded}
    for end in range(len(text), 0, -1):  # the lambda ends where the source stops parsing
        try:
            fn = eval(compile(text[:end], "<op_db lambda>", "eval"), namespace)
        except Exception:  # noqa: BLE001  (too long still: the next keyword argument)
            continue
        if callable(fn):  # not yet: "lambda ...: f(x)," parses as a one-element tuple
            return fn
    return None


def dpt_callable(op):
    """The dpt counterpart of an OpInfo's op, or None."""
    fn, name = op.op, op.name
    if getattr(fn, "__name__", "") == "<lambda>":
        return _translate_lambda(fn)
    if getattr(torch.Tensor, name, None) is fn or getattr(fn, "__qualname__", "").startswith(
            "Tensor.") or (name in ("T", "H", "mT", "mH")):
        attr = getattr(dpt.Tensor, getattr(fn, "__name__", name), None) or \
            getattr(dpt.Tensor, name, None)
        if attr is None:
            return None
        if isinstance(attr, property):
            return lambda x: getattr(x, name)
        return lambda x, *a, **k: getattr(x, attr.__name__)(*a, **k)
    obj = dpt
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            break
    if obj is None and "." not in name:
        obj = getattr(dpt.Tensor, name, None)
    return obj


# ops that read the storage around their input (as_strided's storage_offset): a view input is
# converted with its whole storage, so dpt sees the same memory; every other op sees only the
# tensor's own elements, which a plain copy keeps
STORAGE_OPS = {"as_strided", "as_strided_copy", "as_strided_scatter"}


def _to_dpt_view(x):
    """A torch view as a dpt view of a copy of its whole storage (same strides and offset)."""
    t = x.detach()
    n = t.untyped_storage().nbytes() // t.element_size()
    whole = dpt.from_numpy(torch.as_strided(t, (n,), (1,), 0).numpy().copy())
    out = dpt.as_strided(whole, tuple(t.shape), t.stride(), t.storage_offset())
    return out.requires_grad_(True) if x.requires_grad else out


def to_dpt(x, keep_storage=False):
    """A sample's argument, torch -> dpt (tensors keep dtype, shape, strides' values)."""
    if keep_storage and isinstance(x, torch.Tensor) and x.dtype != torch.bfloat16 and (
            x.storage_offset() or x.untyped_storage().nbytes() != x.numel() * x.element_size()):
        return _to_dpt_view(x)
    if isinstance(x, torch.Tensor):
        t = x.detach()
        if t.dtype == torch.bfloat16:
            arr = t.float().numpy().copy()
            out = dpt.from_numpy(arr).to(dpt.bfloat16)
        else:
            out = dpt.from_numpy(t.resolve_conj().resolve_neg().numpy().copy())
        if x.requires_grad:
            out.requires_grad_(True)
        return out
    if isinstance(x, torch.dtype):
        return getattr(dpt, str(x).split(".")[-1])
    if isinstance(x, torch.device):
        return dpt.device(x.type)
    if isinstance(x, torch.Size):
        return tuple(x)
    if isinstance(x, torch.memory_format):
        return getattr(dpt, str(x).split(".")[-1], None)
    if isinstance(x, torch.Generator):
        return None
    if isinstance(x, torch.nn.Module) and not any(True for _ in x.parameters()):
        return _to_dpt_module(x)
    if isinstance(x, (list, tuple)):
        return type(x)(to_dpt(v, keep_storage) for v in x) if not hasattr(x, "_fields") else \
            type(x)(*(to_dpt(v, keep_storage) for v in x))
    if isinstance(x, dict):
        return {k: to_dpt(v, keep_storage) for k, v in x.items()}
    return x


def _to_dpt_module(m):
    """A parameter-free torch layer (e.g. nn.PairwiseDistance() passed as a distance function)
    as dpt's layer of the same name with the same public settings."""
    cls = getattr(dpt.nn, type(m).__name__, None)
    if cls is None:
        return m
    out = cls.__new__(cls)
    dpt.nn.Module.__init__(out)
    for k, v in vars(m).items():
        if not k.startswith("_") and isinstance(v, (bool, int, float, str, tuple, type(None))):
            setattr(out, k, v)
    return out


def _leaves(x):
    if isinstance(x, (torch.Tensor, dpt.Tensor)):
        return [x]
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _leaves(v)]
    return []


def _np(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t._is_zerotensor():
            return np.zeros(tuple(t.shape), dtype=str(t.dtype).split(".")[-1]
                            if t.dtype != torch.bfloat16 else np.float32)
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.resolve_conj().resolve_neg().numpy()
    t = t.detach()
    if t.dtype == dpt.bfloat16:
        t = t.float()
    return np.asarray(t.numpy())


def compare(t_out, d_out, dtype, where="out", values=True, atol_floor=0.0):
    """None, or a string saying where and how the outputs differ."""
    if isinstance(t_out, torch.Tensor):
        if not isinstance(d_out, dpt.Tensor):
            return f"{where}: dpt gave {type(d_out).__name__}, torch a Tensor"
        tn, dn = str(t_out.dtype).split(".")[-1], str(d_out.dtype).split(".")[-1]
        if tn != dn:
            return f"{where}: dtype torch {tn}, dpt {dn}"
        if tuple(t_out.shape) != tuple(d_out.shape):
            return f"{where}: shape torch {tuple(t_out.shape)}, dpt {tuple(d_out.shape)}"
        if not values:
            return None
        a, b = _np(t_out), _np(d_out)
        if a.dtype.kind in "fc":
            rtol, atol = TOL.get(dtype, (1e-5, 1e-5))
            atol = max(atol, atol_floor)
            scale = max(1.0, float(np.nanmax(np.abs(a[np.isfinite(a)]))) if np.isfinite(
                a).any() else 1.0)
            if not np.allclose(b, a, rtol=rtol, atol=atol * scale, equal_nan=True):
                bad = np.abs(b - a)
                bad = float(np.nanmax(bad)) if bad.size else 0.0
                return f"{where}: values differ (max abs diff {bad:.3g})"
        elif not np.array_equal(a, b):
            return f"{where}: values differ"
        return None
    if isinstance(t_out, (list, tuple)):
        if not isinstance(d_out, (list, tuple)) or len(t_out) != len(d_out):
            return f"{where}: torch gave a sequence of {len(t_out)}, dpt {type(d_out).__name__}"
        for i, (a, b) in enumerate(zip(t_out, d_out)):
            msg = compare(a, b, dtype, f"{where}[{i}]", values, atol_floor)
            if msg:
                return msg
        return None
    if isinstance(t_out, (bool, int, float, complex)):
        if isinstance(d_out, dpt.Tensor):
            d_out = d_out.item()
        if isinstance(t_out, float) and isinstance(d_out, (int, float)):
            ok = (math.isnan(t_out) and math.isnan(d_out)) or math.isclose(t_out, d_out,
                                                                            rel_tol=1e-5,
                                                                            abs_tol=1e-6)
            return None if ok else f"{where}: {t_out!r} vs {d_out!r}"
        return None if t_out == d_out else f"{where}: {t_out!r} vs {d_out!r}"
    if isinstance(t_out, torch.dtype):
        return None if str(t_out).split(".")[-1] == str(d_out).split(".")[-1] else \
            f"{where}: {t_out} vs {d_out}"
    return None


def _call(fn, sample, convert):
    args = convert(sample.args)
    kwargs = convert(sample.kwargs)
    return fn(convert(sample.input), *args, **kwargs)


def _vjp(outs, inputs, module, seed):
    """Input gradients of sum(out * cotangent) over the float outputs."""
    rng = np.random.default_rng(seed)
    pairs = []
    for o in outs:
        if o.dtype in (torch.float64, dpt.float64) and o.requires_grad:
            cot = rng.standard_normal(tuple(o.shape))
            pairs.append((o, torch.from_numpy(cot) if module is torch else dpt.from_numpy(cot)))
    if not pairs or not inputs:
        return None
    os_, cs = zip(*pairs)
    return module.autograd.grad(os_, inputs, cs, allow_unused=True)


def _draws_dropout(name, sample) -> bool:
    """Whether an attention sample applies dropout (dropout_p > 0 while training)."""
    if name == "nn.functional.scaled_dot_product_attention":
        return sample.kwargs.get("dropout_p", 0.0) > 0
    if name == "nn.functional.multi_head_attention_forward":
        p = sample.args[9] if len(sample.args) > 9 else sample.kwargs.get("dropout_p", 0.0)
        return p > 0 and sample.kwargs.get("training", True)
    return False


def check_sample(op, dfn, sample, dtype, grad: bool):
    """None when dpt agrees with torch on this sample, else the reason."""
    name = op.name
    try:
        t_out = _call(op.op, sample, lambda x: x)
    except Exception:  # torch itself refuses this sample: nothing to compare
        return None
    keep = name in STORAGE_OPS

    def to_d(x):
        return to_dpt(x, keep)

    try:
        d_out = _call(dfn, sample, to_d)
    except Exception as e:  # noqa: BLE001
        return f"raised {type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
    values = name.split(".")[0] not in RANDOM and name not in RANDOM and \
        name not in VECTOR_SIGN and not _draws_dropout(name, sample)
    if name in TIE_INDICES and isinstance(t_out, (tuple, list)) and len(t_out) == 2:
        t_out, d_out = t_out[0], d_out[0]  # indices may differ on ties; values may not
    msg = compare(t_out, d_out, dtype, values=values,
                  atol_floor=TORCH_INACCURATE.get(op.name, 0.0))
    if msg or not grad or not values:
        return msg
    t_in = [x for x in _leaves([sample.input, sample.args, list(sample.kwargs.values())])
            if isinstance(x, torch.Tensor) and x.requires_grad]
    if not t_in:
        return None
    # rerun dpt on fresh converted inputs so the gradients line up with torch's leaves
    conv = {}

    def convert(x):
        if isinstance(x, torch.Tensor) and x.requires_grad:
            if id(x) not in conv:
                conv[id(x)] = to_d(x)
            return conv[id(x)]
        if isinstance(x, (list, tuple)) and not isinstance(x, torch.Size):
            return type(x)(convert(v) for v in x)
        if isinstance(x, dict):
            return {k: convert(v) for k, v in x.items()}
        return to_d(x)

    try:
        t_out = _call(op.op, sample, lambda x: x)
        d_out = _call(dfn, sample, convert)
        d_in = [conv[id(x)] for x in t_in]
        t_g = _vjp(_leaves(t_out), t_in, torch, 0)
        d_g = _vjp(_leaves(d_out), d_in, dpt, 0)
    except Exception as e:  # noqa: BLE001
        return f"backward raised {type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
    if t_g is None:
        return None
    if d_g is None:
        return "dpt output carries no gradient"
    for i, (a, b) in enumerate(zip(t_g, d_g)):
        if a is None:
            continue
        if b is None:
            return f"grad[{i}]: dpt gives none"
        msg = compare(a, b, torch.float64, f"grad[{i}]")
        if msg:
            return msg
    return None


def check_op(op, max_samples: int = 12):
    """(verdict, reason): 'pass', 'fail' (some sample differs), 'missing', 'skipped'."""
    if op.name.startswith(SKIPPED_PREFIXES):
        return "skipped", "out of scope (sparse, masked, aten-internal)"
    if isinstance(op.op, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)) or \
            op.name.startswith("torch._"):
        return "skipped", "out of scope (an aten operator or a private torch._ function)"
    dfn = dpt_callable(op)
    if dfn is None and getattr(op.op, "__name__", "") == "<lambda>":
        return "skipped", "the harness could not translate the OpInfo's lambda wrapper"
    if dfn is None:
        return "missing", f"dpt has no {op.name}"
    tested = 0
    for dtype in DTYPES:
        if dtype not in op.supported_dtypes("cpu"):
            continue
        grad = dtype == torch.float64 and op.supports_autograd
        try:
            samples = list(op.sample_inputs("cpu", dtype, requires_grad=grad))[:max_samples]
        except Exception as e:  # noqa: BLE001
            return "skipped", f"torch could not build samples ({type(e).__name__})"
        for sample in samples:
            tested += 1
            msg = check_sample(op, dfn, sample, dtype, grad)
            if msg:
                return "fail", f"{str(dtype).split('.')[-1]}: {msg}"
    if not tested:
        return "skipped", "no float32/float64 samples"
    return "pass", ""


def op_id(op) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


def main(argv=None) -> int:
    from torch.testing._internal.common_methods_invocations import op_db

    argv = list(sys.argv[1:] if argv is None else argv)
    write_json = "--json" in argv
    only = set(a for a in argv if not a.startswith("--"))
    results = collections.OrderedDict()
    for op in op_db:
        if only and op.name not in only:
            continue
        torch.manual_seed(0)
        try:
            results[op_id(op)] = check_op(op)
        except Exception as e:  # noqa: BLE001  (a harness gap, reported, never fatal)
            results[op_id(op)] = ("fail", f"harness error {type(e).__name__}: {e}"[:200])
    counts = collections.Counter(v for v, _ in results.values())
    considered = counts["pass"] + counts["fail"] + counts["missing"]
    lines = [f"# op_db against dpt (torch {torch.__version__})", "",
             f"{len(results)} OpInfos: {counts['pass']} pass, {counts['fail']} fail, "
             f"{counts['missing']} missing, {counts['skipped']} skipped (out of scope). "
             f"Pass rate over the in-scope ones: {counts['pass'] / max(considered, 1):.1%}.",
             "", "Generated by `python -m tests.compat.op_db_harness`.", ""]
    for verdict in ("fail", "missing", "skipped"):
        lines += [f"## {verdict}", ""]
        lines += [f"- `{k}`: {r}" for k, (v, r) in results.items() if v == verdict]
        lines.append("")
    text = "\n".join(lines)
    print(text)
    here = os.path.dirname(__file__)
    if not only:
        with open(os.path.join(here, "op_db_status.md"), "w") as f:
            f.write(text)
    if write_json:
        import json

        with open(os.path.join(here, "op_db_expected.json"), "w") as f:
            json.dump({k: v for k, (v, _) in results.items() if v in ("fail", "missing")}, f,
                      indent=0, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
