"""Matmul family, division modes, out=, 0-d/empty/non-contiguous inputs and assorted ops
against torch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._common import T, run_both, sample  # noqa: E402

A = sample((2, 3, 4), "float64", seed=20)
B = sample((4, 5), "float64", seed=21)
V = sample((4,), "float64", seed=22)
S = sample((3, 3), "float64", seed=23)
SPD = S @ S.T + 3 * np.eye(3)

MATMUL = {
    "matmul_3d_2d": lambda m, a, b, v: m.matmul(a, b), "matmul_vec": lambda m, a, b, v: a @ v,
    "matmul_vec_vec": lambda m, a, b, v: v @ v, "vec_mat": lambda m, a, b, v: v @ b,
    "matmul_bcast": lambda m, a, b, v: a[:1] @ a.mT, "mm": lambda m, a, b, v: m.mm(a[0], b),
    "bmm": lambda m, a, b, v: m.bmm(a, a.mT), "mv": lambda m, a, b, v: m.mv(a[0], v),
    "dot": lambda m, a, b, v: m.dot(v, v * 2), "outer": lambda m, a, b, v: m.outer(v, v[:2]),
    "addmm": lambda m, a, b, v: m.addmm(v[:1], a[0], b, beta=0.5, alpha=2),
    "baddbmm": lambda m, a, b, v: m.baddbmm(a[:, :, :3], a, a.mT, alpha=0.5),
    "addmv": lambda m, a, b, v: m.addmv(v[:3], a[0], v), "einsum": lambda m, a, b, v: m.einsum("bij,jk->bik", a, b),
    "einsum_trace": lambda m, a, b, v: m.einsum("ii", a[0, :, :3]), "tensordot": lambda m, a, b, v: m.tensordot(a, b, dims=1),
    "kron": lambda m, a, b, v: m.kron(a[0, :2, :2], b[:2, :2]), "inner": lambda m, a, b, v: m.inner(a, v),
    "cross": lambda m, a, b, v: m.linalg.cross(a[:, :, :3], a[:, :, 1:]), "trace": lambda m, a, b, v: m.trace(a[0]),
    "chain_matmul": lambda m, a, b, v: m.linalg.multi_dot([a[0], b, b.T]),
    "cdist": lambda m, a, b, v: m.cdist(a, a[:, :2]), "norm_fro": lambda m, a, b, v: m.linalg.norm(a[0]),
    "vector_norm": lambda m, a, b, v: m.linalg.vector_norm(a, ord=3, dim=(1, 2)),
    "matrix_norm_nuc": lambda m, a, b, v: m.linalg.matrix_norm(a[0, :, :3], ord="nuc"),
    "det": lambda m, a, b, v: m.linalg.det(T(m, S, "float64") + a[0, :, :3] * 0), "inv": lambda m, a, b, v: m.linalg.inv(T(m, SPD, "float64") + a[0, :, :3] * 0.1),
    "solve": lambda m, a, b, v: m.linalg.solve(T(m, SPD, "float64") + a[0, :, :3] * 0.1, a[0]),
    "cholesky": lambda m, a, b, v: m.linalg.cholesky(T(m, SPD, "float64") + (a[0, :, :3] @ a[0, :, :3].T) * 0.1),
    "slogdet": lambda m, a, b, v: m.linalg.slogdet(T(m, S, "float64") + a[0, :, :3] * 0.1),
    "eigvalsh": lambda m, a, b, v: m.linalg.eigvalsh(T(m, SPD, "float64") + (a[0, :, :3] + a[0, :, :3].T) * 0.1),
    "svdvals": lambda m, a, b, v: m.linalg.svdvals(a), "pinv": lambda m, a, b, v: m.linalg.pinv(a[0]),
    "qr_r": lambda m, a, b, v: m.linalg.qr(a[0].T).R.abs(), "matrix_power": lambda m, a, b, v: m.linalg.matrix_power(a[0, :, :3], 3),
    "lstsq": lambda m, a, b, v: m.linalg.lstsq(a[0].T, b[:, :2]).solution,
}


@pytest.mark.parametrize("name", sorted(MATMUL))
def test_matmul_family(name):
    def prog(m):
        a, b, v = (T(m, x, "float64", requires_grad=True) for x in (A, B, V))
        y = MATMUL[name](m, a, b, v)
        ys = y if isinstance(y, tuple) else (y,)
        sum(((t * t).sum() for t in ys if t.requires_grad), start=a.sum() * 0).backward()
        return y, a.grad, b.grad, v.grad
    run_both(prog, rtol=1e-8)


@pytest.mark.parametrize("da", ["int32", "int64", "float32", "float64", "bool"])
@pytest.mark.parametrize("db", ["int64", "float32", "float64"])
def test_matmul_dtypes(da, db):
    a, b = sample((2, 3), da, seed=24), sample((3, 2), db, seed=25)
    run_both(lambda m: T(m, a, da) @ T(m, b, db))


@pytest.mark.parametrize("prog", [
    lambda m: m.ones(2, 3) @ m.ones(2, 3), lambda m: m.mm(m.ones(2), m.ones(2)),
    lambda m: m.bmm(m.ones(2, 2, 3), m.ones(3, 3, 2)), lambda m: m.dot(m.ones(2), m.ones(3)),
    lambda m: m.ones(3) @ m.ones(()), lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(2, 3)),
    lambda m: m.linalg.inv(m.zeros(2, 2)), lambda m: m.linalg.cholesky(-m.eye(2)),
    lambda m: m.linalg.inv(m.ones(2, 3)), lambda m: m.ones(2, 3, dtype=m.float64) @ m.ones(3, 2),
], ids=lambda f: "")
def test_matmul_errors(prog):
    run_both(prog)


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("da", ["int32", "int64", "float32", "bool"])
@pytest.mark.parametrize("other", ["tensor", "int", "float"])
def test_div_rounding_modes(mode, da, other):
    a = np.array([[7, -7, 3], [-1, 0, 5]])
    b = np.array([2, -3, 4])

    def prog(m):
        x = T(m, a, da) if da != "bool" else T(m, a > 0)
        y = {"tensor": T(m, b, "int64"), "int": -3, "float": 2.5}[other]
        return m.div(x, y, rounding_mode=mode), x.div(y, rounding_mode=mode)
    run_both(prog)


def test_out_argument():
    def prog(m):
        o = m.empty(3)
        r = m.add(m.tensor([1.0, 2.0, 3.0]), 1, out=o)
        o2 = m.zeros(2, dtype=m.float64)
        m.mul(m.tensor([1.0, 2.0]), 3, out=o2)
        o3 = m.empty(0)
        m.exp(m.tensor([0.0, 1.0]), out=o3)
        # reductions (sum, mean, amax, ...) are left out: dpt's reductions take no out= (reported)
        o4 = m.zeros(1, dtype=m.int64)
        m.bitwise_and(m.tensor([6, 3]), 5, out=o4)
        return r is o, o, o2, o3, o4
    run_both(prog)


def test_out_argument_errors():
    run_both(lambda m: m.add(m.tensor([1.5]), 1, out=m.zeros(1, dtype=m.int64)))
    run_both(lambda m: m.exp(m.ones(2, requires_grad=True), out=m.zeros(2)))


@pytest.mark.parametrize("op", ["exp", "neg", "abs", "sum", "mean", "amax", "cumsum", "sort", "flip",
                                "softmax", "clone", "argsort", "sigmoid", "square", "prod", "logsumexp", "std", "cumprod",
                                "log_softmax", "logcumsumexp", "cummax"])
@pytest.mark.parametrize("kind", ["zero_d", "empty", "noncontig", "expanded"])
def test_special_layouts(op, kind):
    def prog(m):
        base = m.arange(12.0, dtype=m.float64).reshape(3, 4) / 5 - 1
        x = {"zero_d": base[1, 2].clone(), "empty": base[:, :0], "noncontig": base.t()[::2],
             "expanded": base[:1].expand(3, 4)}[kind].detach().requires_grad_(kind != "expanded")
        d = -1 if x.ndim else 0
        fn = {"sum": lambda t: t.sum(d), "mean": lambda t: t.mean(d), "amax": lambda t: t.amax(d),
              "cumsum": lambda t: t.cumsum(d), "sort": lambda t: t.sort(d).values, "flip": lambda t: t.flip(d),
              "softmax": lambda t: t.softmax(d), "argsort": lambda t: t.argsort(d), "prod": lambda t: t.prod(d),
              "logsumexp": lambda t: t.logsumexp(d), "cumprod": lambda t: t.cumprod(d),
              "log_softmax": lambda t: t.log_softmax(d), "logcumsumexp": lambda t: t.logcumsumexp(d),
              "cummax": lambda t: t.cummax(d).values, "std": lambda t: t.std(d) if t.numel() > 1 else t.sum(d)}.get(
                  op, lambda t: getattr(t, op)())
        y = fn(x)
        if y.requires_grad:
            (y * 2).sum().backward()
        # dpt's copies are always C-contiguous; torch's sort/argsort/flip/clone keep the input's
        # stride order (x.t().flip(0).view(-1) fails in torch, works in dpt): not compared there
        return y, x.grad, y.is_contiguous() if op not in ("sort", "argsort", "flip", "clone") else None
    run_both(prog)


def test_assorted():
    x = sample((3, 4), "float64", seed=26)
    run_both(lambda m: [m.cumsum(m.tensor([True, True, False]), 0), m.cumsum(m.tensor([1, 2], dtype=m.int32), 0),
                        m.diff(T(m, x, "float64"), dim=1), m.diff(m.tensor([1, 4, 9]), prepend=m.tensor([0])),
                        m.histc(T(m, x, "float64"), bins=4, min=-3, max=3), m.bincount(m.tensor([0, 2, 2, 5])),
                        m.bincount(m.tensor([0, 1, 1]), weights=m.tensor([0.5, 1.0, 2.0])),
                        m.quantile(T(m, x, "float64"), 0.3, dim=1), m.quantile(T(m, x, "float64"), m.tensor([0.25, 0.75], dtype=m.float64)),
                        m.nanquantile(m.tensor([1.0, float("nan"), 3.0]), 0.5), m.cummax(T(m, x, "float64"), 1),
                        m.renorm(T(m, x, "float64"), 2, 0, 1.0), m.count_nonzero(m.tensor([[0, 1], [2, 0]]), dim=0),
                        m.allclose(m.ones(2), m.ones(2) + 1e-9), m.equal(m.ones(2), m.ones(2)), m.isin(m.tensor([1, 2, 3]), m.tensor([2, 5])),
                        m.tensor([1, 2, 3]).numel(), m.vander(m.tensor([1, 2, 3]), 3), m.trapezoid(T(m, x, "float64")),
                        m.cumulative_trapezoid(T(m, x, "float64")), m.logdet(m.eye(2, dtype=m.float64) * 2),
                        m.clamp(m.tensor([1, 5, 9]), min=m.tensor([2, 2, 2]), max=m.tensor(6)), m.rot90(m.arange(4).view(2, 2)),
                        m.flatten(m.tensor(3)), m.result_type(m.tensor([1]), 1.0), m.promote_types(m.int32, m.float16),
                        m.can_cast(m.float64, m.int32), m.tensor([1, 2]).new_tensor([1.5]).dtype, m.std_mean(T(m, x, "float64"), 1)])
