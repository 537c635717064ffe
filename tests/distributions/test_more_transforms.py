"""The transforms added for dist-new (Cat, Stack, Independent, Reshape, Softplus, StickBreaking,
LowerCholesky, PositiveDefinite, CorrCholesky, CumulativeDistribution) and biject_to /
transform_to, against torch and against autograd Jacobians."""
import math

import numpy as np
import pytest

import dpt
import dpt.distributions as D
from dpt.distributions import constraints as C
from dpt.distributions import transforms as T

torch = pytest.importorskip("torch")
TD = torch.distributions


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def pair(arr):
    """The same float64 values as a dpt and a torch tensor."""
    arr = np.asarray(arr, dtype=np.float64)
    return dpt.tensor(arr), torch.tensor(arr)


def close(a, b, atol=1e-10, rtol=1e-8):
    np.testing.assert_allclose(_np(a), _np(b), atol=atol, rtol=rtol)


RNG = np.random.default_rng(0)

# name -> (dpt transform, torch transform, an input in the domain)
CASES = {
    "softplus": (T.SoftplusTransform(), TD.SoftplusTransform(), RNG.normal(size=(3, 4))),
    "stick_breaking": (T.StickBreakingTransform(), TD.StickBreakingTransform(),
                       RNG.normal(size=(3, 4))),
    "corr_cholesky": (T.CorrCholeskyTransform(), TD.CorrCholeskyTransform(),
                      RNG.normal(size=(2, 6))),
    "lower_cholesky": (T.LowerCholeskyTransform(), TD.LowerCholeskyTransform(),
                       RNG.normal(size=(2, 3, 3))),
    "positive_definite": (T.PositiveDefiniteTransform(), TD.PositiveDefiniteTransform(),
                          RNG.normal(size=(2, 3, 3))),
    "independent": (T.IndependentTransform(T.ExpTransform(), 1),
                    TD.IndependentTransform(TD.ExpTransform(), 1), RNG.normal(size=(3, 4))),
    "reshape": (T.ReshapeTransform((2, 3), (6,)), TD.ReshapeTransform((2, 3), (6,)),
                RNG.normal(size=(4, 2, 3))),
    "cat": (T.CatTransform([T.ExpTransform(), T.identity_transform, T.SigmoidTransform()],
                           dim=-1, lengths=[1, 2, 1]),
            TD.CatTransform([TD.ExpTransform(), TD.identity_transform, TD.SigmoidTransform()],
                            dim=-1, lengths=[1, 2, 1]), RNG.normal(size=(3, 4))),
    "cat_dim0": (T.CatTransform([T.ExpTransform(), T.SoftplusTransform()], dim=0,
                                lengths=[2, 1]),
                 TD.CatTransform([TD.ExpTransform(), TD.SoftplusTransform()], dim=0,
                                 lengths=[2, 1]), RNG.normal(size=(3, 4))),
    "stack": (T.StackTransform([T.ExpTransform(), T.TanhTransform()], dim=1),
              TD.StackTransform([TD.ExpTransform(), TD.TanhTransform()], dim=1),
              RNG.normal(size=(3, 2))),
    "cdf": (T.CumulativeDistributionTransform(D.Normal(dpt.tensor(0.5, dtype=dpt.float64), 2.0)),
            TD.CumulativeDistributionTransform(TD.Normal(torch.tensor(0.5, dtype=torch.float64),
                                                         2.0)), RNG.normal(size=(5,))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_inverse_logdet_match_torch(name):
    t, tt, x = CASES[name]
    dx, tx = pair(x)
    y, ty = t(dx), tt(tx)
    close(y, ty)
    assert tuple(t.forward_shape(dx.shape)) == tuple(tt.forward_shape(tx.shape))
    assert tuple(t.inverse_shape(y.shape)) == tuple(tt.inverse_shape(ty.shape))
    close(t.inv(dpt.tensor(_np(ty))), tt.inv(ty), atol=1e-7)
    if name not in ("lower_cholesky", "positive_definite"):  # torch has no logdet there
        close(t.log_abs_det_jacobian(dx, y), tt.log_abs_det_jacobian(tx, ty), atol=1e-8)
    assert t.bijective == tt.bijective
    assert repr(t.domain) == repr(tt.domain) and repr(t.codomain) == repr(tt.codomain)
    assert t.codomain.check(y).all()


def _autograd_logdet(f, x):
    """log |det J| of f at one vector x, with the Jacobian from dpt's autograd."""
    xt = dpt.tensor(x, requires_grad=True)
    y = f(xt).reshape(-1)
    rows = [dpt.autograd.grad(y[i], xt, retain_graph=True)[0].reshape(-1).numpy()
            for i in range(y.shape[0])]
    return np.linalg.slogdet(np.stack(rows))[1]


def test_logdet_is_the_autograd_jacobian():
    x = RNG.normal(size=5)
    for t in [T.SoftplusTransform(), T.IndependentTransform(T.SoftplusTransform(), 1)]:
        ld = t.log_abs_det_jacobian(dpt.tensor(x), t(dpt.tensor(x)))
        assert np.isclose(float(ld.sum()), _autograd_logdet(t, x))
    # stick breaking: drop the last (dependent) coordinate to get a square Jacobian
    t = T.StickBreakingTransform()
    ld = t.log_abs_det_jacobian(dpt.tensor(x), t(dpt.tensor(x)))
    assert np.isclose(float(ld), _autograd_logdet(lambda v: t(v)[..., :-1], x))
    # corr cholesky: the strictly lower triangle is the free part
    t = T.CorrCholeskyTransform()
    x6 = RNG.normal(size=6)
    ld = t.log_abs_det_jacobian(dpt.tensor(x6), t(dpt.tensor(x6)))
    rows, cols = np.tril_indices(4, -1)
    assert np.isclose(float(ld), _autograd_logdet(lambda v: t(v)[rows, cols], x6))


@pytest.mark.parametrize("name", ["softplus", "stick_breaking", "corr_cholesky", "cat",
                                  "stack", "independent", "positive_definite"])
def test_gradcheck(name):
    t = CASES[name][0]
    x = dpt.tensor(CASES[name][2], requires_grad=True)
    assert dpt.autograd.gradcheck(lambda v: t(v), (x,))
    if name != "positive_definite":
        assert dpt.autograd.gradcheck(lambda v: t.log_abs_det_jacobian(v, t(v)), (x,))


def test_round_trip_and_cache():
    x = dpt.tensor(RNG.normal(size=(2, 3)))
    for t in [T.StickBreakingTransform(), T.SoftplusTransform(),
              T.CorrCholeskyTransform(), T.ReshapeTransform((3,), (3, 1))]:
        close(t.inv(t(x)), x, atol=1e-8)
    t = T.SoftplusTransform(cache_size=1)
    y = t(x)
    assert t.inv(y) is x
    assert T.CatTransform([T.ExpTransform()], lengths=[2]).with_cache(1)._cache_size == 1


def test_errors():
    with pytest.raises(ValueError, match="different numbers of elements"):
        T.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match="Input is not a flattend lower-diagonal number"):
        T.CorrCholeskyTransform().forward_shape((4,))
    with pytest.raises(ValueError, match="Input is not square"):
        T.CorrCholeskyTransform().inverse_shape((2, 3))
    with pytest.raises(ValueError, match="Shape mismatch"):
        T.ReshapeTransform((2, 3), (6,)).forward_shape((3, 2))


def test_transformed_distribution_with_new_transforms():
    # a Dirichlet-like density through stick breaking, and a reshaped normal
    base_d = D.Normal(dpt.zeros(3, dtype=dpt.float64), 1.0)
    base_t = TD.Normal(torch.zeros(3, dtype=torch.float64), 1.0)
    d = D.TransformedDistribution(base_d, [T.StickBreakingTransform()])
    td = TD.TransformedDistribution(base_t, [TD.StickBreakingTransform()])
    assert d.event_shape == (4,) and d.batch_shape == ()
    v = np.array([0.1, 0.2, 0.3, 0.4])
    close(d.log_prob(dpt.tensor(v)), td.log_prob(torch.tensor(v)))
    d = D.TransformedDistribution(D.Normal(dpt.zeros(4, 6, dtype=dpt.float64), 1.0),
                                  [T.ReshapeTransform((6,), (2, 3))])
    assert d.batch_shape == (4,) and d.event_shape == (2, 3)


# ---- biject_to / transform_to ----------------------------------------------------------------
REGISTRY_CASES = [C.real, C.real_vector, C.positive, C.nonnegative, C.greater_than(2.0),
                  C.greater_than_eq(-1.0), C.less_than(1.5), C.unit_interval,
                  C.interval(-1.0, 2.0), C.half_open_interval(0.0, 3.0), C.simplex,
                  C.corr_cholesky, C.independent(C.positive, 1)]


def _torch_constraint(c):
    if isinstance(c, C._IndependentConstraint):
        return TD.constraints.independent(_torch_constraint(c.base_constraint),
                                          c.reinterpreted_batch_ndims)
    name = type(c).__name__
    args = {k: v for k, v in vars(c).items() if k in ("lower_bound", "upper_bound")}
    return getattr(TD.constraints, name)(**args)


@pytest.mark.parametrize("c", REGISTRY_CASES, ids=repr)
@pytest.mark.parametrize("which", ["biject_to", "transform_to"])
def test_registry_matches_torch(c, which):
    t = getattr(D, which)(c)
    tt = getattr(TD, which)(_torch_constraint(c))
    n = 6 if c is C.corr_cholesky else 3
    x = RNG.normal(size=(2, n))
    dx, tx = pair(x)
    y, ty = t(dx), tt(tx)
    close(y, ty)
    assert c.check(y).all()
    if t.bijective:
        close(t.log_abs_det_jacobian(dx, y), tt.log_abs_det_jacobian(tx, ty))
        close(t.inv(y), dx, atol=1e-7)


def test_registry_matrices_and_errors():
    x = dpt.tensor(RNG.normal(size=(3, 3)))
    assert C.lower_cholesky.check(D.transform_to(C.lower_cholesky)(x))
    assert C.positive_definite.check(D.transform_to(C.positive_definite)(x))
    with pytest.raises(NotImplementedError, match="Cannot transform _LowerCholesky constraints"):
        D.biject_to(C.lower_cholesky)
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        D.transform_to(C.boolean)
    with pytest.raises(TypeError, match="Expected constraint to be either"):
        D.biject_to.register(int, lambda c: None)
    cat = C.cat([C.positive, C.real], dim=0, lengths=[1, 2])
    y = D.biject_to(cat)(dpt.tensor([-1.0, -2.0, 3.0]))
    assert float(y[0]) > 0 and float(y[1]) == -2.0
    st = C.stack([C.positive, C.unit_interval], dim=-1)
    y = D.transform_to(st)(dpt.tensor(RNG.normal(size=(4, 2))))
    assert st.check(y).all()


def test_register_custom_factory():
    registry = D.constraint_registry.ConstraintRegistry()

    @registry.register(C.positive)
    def _softplus(constraint):
        return T.SoftplusTransform()

    assert isinstance(registry(C.greater_than(1.0)), T.SoftplusTransform)
