"""dpt.func's transforms against torch.func on the same functions, plus finite differences."""
import numpy as np
import pytest

import dpt
from dpt.autograd import gradcheck
from dpt.func import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp,
                      linearize, replace_all_batch_norm_modules_, stack_module_state, vjp,
                      vmap)

torch = pytest.importorskip("torch")
tf = torch.func


# -- helpers: the same values in both frameworks, compared leaf by leaf ----------------------
def rnd(*shape, seed=0):
    return np.random.default_rng(seed + 7 * len(shape)).standard_normal(shape)


def both(a):
    """(dpt tensor, torch tensor) holding the numpy array a (float64)."""
    return dpt.tensor(a), torch.tensor(a)


def close(d, t, atol=1e-10):
    """Compare a dpt result with a torch result of the same (pytree) structure."""
    if isinstance(t, torch.Tensor):
        assert isinstance(d, dpt.Tensor), type(d)
        assert tuple(d.shape) == tuple(t.shape), (d.shape, t.shape)
        np.testing.assert_allclose(d.detach().numpy(), t.detach().resolve_conj().numpy(), atol=atol,
                                   rtol=1e-8)
    elif isinstance(t, dict):
        assert isinstance(d, dict) and list(d) == list(t)
        for k in t:
            close(d[k], t[k], atol)
    elif isinstance(t, (tuple, list)):
        assert type(d) is type(t) and len(d) == len(t), (type(d), type(t))
        for a, b in zip(d, t):
            close(a, b, atol)
    else:
        assert d == t


def f_scalar(lib):
    def f(x, y):
        return (lib.sin(x) * y).sum() + (x * x * y).sum()
    return f


def f_multi(lib):
    def f(x, y):
        return lib.tanh(x) * y, (x * 2).sum(0) + y.sum()
    return f


# -- grad / grad_and_value -------------------------------------------------------------------
@pytest.mark.parametrize("argnums", [0, 1, -1, (0, 1), (1, 0)])
def test_grad_argnums(argnums):
    (xd, xt), (yd, yt) = both(rnd(3, 4)), both(rnd(4, seed=1))
    close(grad(f_scalar(dpt), argnums)(xd, yd), tf.grad(f_scalar(torch), argnums)(xt, yt))


def test_grad_results_are_plain_tensors_and_inputs_untouched():
    xd, _ = both(rnd(3))
    g = grad(lambda x: (x ** 3).sum())(xd)
    assert not g.requires_grad and g.grad_fn is None and xd.grad is None
    np.testing.assert_allclose(g.numpy(), 3 * xd.numpy() ** 2)


def test_grad_has_aux_and_pytree_input():
    (ad, at), (bd, bt) = both(rnd(2, 3)), both(rnd(3, seed=2))

    def f(lib):
        def fn(p, scale):
            out = (p["a"] @ p["b"]).pow(2).sum() * scale
            return out, {"out": out, "ab": p["a"] * 2}
        return fn

    gd, auxd = grad(f(dpt), has_aux=True)({"a": ad, "b": bd}, 1.5)
    gt, auxt = tf.grad(f(torch), has_aux=True)({"a": at, "b": bt}, 1.5)
    close(gd, gt)
    close(auxd, auxt)
    assert not auxd["out"].requires_grad


def test_grad_and_value_and_kwargs():
    (xd, xt), (yd, yt) = both(rnd(5)), both(rnd(5, seed=3))

    def f(lib):
        return lambda x, *, w: (lib.exp(x) * w).sum()

    close(grad_and_value(f(dpt))(xd, w=yd), tf.grad_and_value(f(torch))(xt, w=yt))
    (gd, (vd, ad)) = grad_and_value(lambda x: ((x ** 2).sum(), x.mean()), has_aux=True)(xd)
    (gt, (vt, at)) = tf.grad_and_value(lambda x: ((x ** 2).sum(), x.mean()), has_aux=True)(xt)
    close((gd, vd, ad), (gt, vt, at))


def test_grad_unused_input_is_zero_and_constant_output():
    xd, _ = both(rnd(3))
    close(grad(lambda x, y: (y * 2).sum(), argnums=(0, 1))(xd, xd),
          (torch.zeros(3, dtype=torch.float64), torch.full((3,), 2.0, dtype=torch.float64)))
    close(grad(lambda x: dpt.tensor(1.0, dtype=dpt.float64))(xd), torch.zeros(3, dtype=torch.float64))


def test_grad_of_grad_and_gradcheck():
    (xd, xt), (yd, yt) = both(rnd(4)), both(rnd(4, seed=4))

    def second(lib, gradf):
        return gradf(lambda x, y: gradf(f_scalar(lib))(x, y).pow(2).sum())

    close(second(dpt, grad)(xd, yd), second(torch, tf.grad)(xt, yt))
    # the gradient function is itself differentiable: finite differences of grad(f)
    xg = dpt.tensor(rnd(4), requires_grad=True)
    assert gradcheck(lambda x: grad(f_scalar(dpt))(x, yd), (xg,))
    assert gradcheck(lambda x: grad(lambda z: (z.sin() * z).sum())(x), (xg,))
    # third order
    g3 = grad(grad(grad(lambda x: (x ** 4).sum() if x.dim() == 0 else x ** 4)))
    close(g3(dpt.tensor(1.5, dtype=dpt.float64)), torch.tensor(36.0, dtype=torch.float64))


def test_grad_composes_with_autograd_on_closed_over_parameters():
    wd = dpt.tensor(rnd(3), requires_grad=True)
    wt = torch.tensor(rnd(3), requires_grad=True)
    xd, xt = both(rnd(3, seed=5))
    gd = grad(lambda x: (wd * x.sin()).sum())(xd)
    gt = tf.grad(lambda x: (wt * x.sin()).sum())(xt)
    assert gd.requires_grad
    gd.sum().backward()
    gt.sum().backward()
    close(wd.grad, wt.grad)


def test_grad_no_perturbation_confusion():
    xd, xt = both(np.array(2.0))
    cd, ct = both(np.array(3.0))

    def f(lib, gradf, c):
        return lambda x: x * gradf(lambda y: x * y + y * y)(c)

    close(grad(f(dpt, grad, cd))(xd), tf.grad(f(torch, tf.grad, ct))(xt))
    # the inner function closes over the outer variable and differentiates w.r.t. an alias of it
    close(grad(lambda x: grad(lambda y: x * y)(x))(xd), tf.grad(lambda x: tf.grad(lambda y: x * y)(x))(xt))


def test_grad_inside_no_grad():
    xd, _ = both(rnd(3))
    with dpt.no_grad():
        g = grad(lambda x: (x ** 2).sum())(xd)
    np.testing.assert_allclose(g.numpy(), 2 * xd.numpy())


def test_grad_noncontiguous_and_float32():
    a = rnd(4, 3)
    xd, xt = dpt.tensor(a).t(), torch.tensor(a).t()
    close(grad(lambda x: (x.cos() * x).sum())(xd), tf.grad(lambda x: (x.cos() * x).sum())(xt))
    g = grad(lambda x: (x * x).sum())(dpt.ones(3))
    assert g.dtype == dpt.float32


def test_grad_errors():
    x = dpt.ones(3, dtype=dpt.float64)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got "
                                           "tensor with 1 dims"):
        grad(lambda x: x * 2)(x)
    with pytest.raises(RuntimeError, match="to return a Tensor, got <class 'float'>"):
        grad(lambda x: 1.0)(x)
    with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
        grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        grad(lambda x: x.sum(), argnums=2)(x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        grad(lambda x: x.sum(), argnums=())(x)
    with pytest.raises(RuntimeError, match="argnums elements must be unique"):
        grad(lambda x, y: x.sum(), argnums=(0, -2))(x, x)
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        grad(lambda x: x.sum(), argnums=[0])(x)
    with pytest.raises(ValueError, match="must be Tensor, got <class 'float'>"):
        grad(lambda x: x)(1.0)


# -- vjp ---------------------------------------------------------------------------------------
def test_vjp_multi_output_pytree_and_repeated_calls():
    (xd, xt), (yd, yt) = both(rnd(3, 2)), both(rnd(2, seed=6))
    outd, fnd = vjp(f_multi(dpt), xd, yd)
    outt, fnt = tf.vjp(f_multi(torch), xt, yt)
    close(outd, outt)
    assert not outd[0].requires_grad
    (cd0, ct0), (cd1, ct1) = both(rnd(3, 2, seed=8)), both(rnd(2, seed=9))
    for _ in range(2):
        close(fnd((cd0, cd1)), fnt((ct0, ct1)))
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents"):
        fnd(cd0)


def test_vjp_has_aux_and_dict_primal():
    ad, at = both(rnd(4))

    def f(p):
        return {"s": p["a"].sin()}, p["a"].sum()

    od, fnd, auxd = vjp(f, {"a": ad}, has_aux=True)
    ot, fnt, auxt = tf.vjp(f, {"a": at}, has_aux=True)
    close((od, auxd), (ot, auxt))
    cd, ct = both(rnd(4, seed=1))
    close(fnd({"s": cd}), fnt({"s": ct}))


def test_vjp_of_vjp_and_integer_output_error():
    xd, xt = both(rnd(3))
    cd, ct = both(rnd(3, seed=2))

    def dd(vjpf, x, c):
        return vjpf(lambda x: vjpf(lambda z: z.sin() * z, x)[1](c)[0], x)[1](c)

    close(dd(vjp, xd, cd), dd(tf.vjp, xt, ct))
    with pytest.raises(RuntimeError, match="must be floating-point or complex"):
        vjp(lambda x: x.argmax(), xd)


# -- jvp / linearize ---------------------------------------------------------------------------
def test_jvp_values_pytrees_and_aux():
    (xd, xt), (yd, yt) = both(rnd(3, 2)), both(rnd(2, seed=3))
    (ud, ut), (vd, vt) = both(rnd(3, 2, seed=4)), both(rnd(2, seed=5))
    close(jvp(f_multi(dpt), (xd, yd), (ud, vd)), tf.jvp(f_multi(torch), (xt, yt), (ut, vt)))
    assert not jvp(f_multi(dpt), (xd, yd), (ud, vd))[1][0].requires_grad

    def g(p):
        return p["x"].exp() @ p["y"], {"n": p["y"].norm()}

    close(jvp(g, ({"x": xd, "y": yd},), ({"x": ud, "y": vd},), has_aux=True),
          tf.jvp(g, ({"x": xt, "y": yt},), ({"x": ut, "y": vt},), has_aux=True))


def test_jvp_independent_output_and_strict():
    xd, _ = both(rnd(3))
    c = dpt.ones(2, dtype=dpt.float64)
    out, t = jvp(lambda x: (c * 2, x * 3), (xd,), (xd,))
    np.testing.assert_allclose(t[0].numpy(), 0.0)
    np.testing.assert_allclose(t[1].numpy(), 3 * xd.numpy())
    with pytest.raises(RuntimeError, match="independent of the inputs"):
        jvp(lambda x: c * 2, (xd,), (xd,), strict=True)


def test_jvp_errors():
    x = dpt.ones(3, dtype=dpt.float64)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        jvp(lambda x: x, x, (x,))
    with pytest.raises(RuntimeError, match="same python structure"):
        jvp(lambda x: x, (x,), [x])
    with pytest.raises(RuntimeError, match="different size"):
        jvp(lambda x: x, (x,), (dpt.ones(2, dtype=dpt.float64),))


def test_jvp_of_grad_is_hvp():
    (xd, xt), (vd, vt) = both(rnd(4)), both(rnd(4, seed=6))
    yd, yt = both(rnd(4, seed=7))
    close(jvp(lambda x: grad(f_scalar(dpt))(x, yd), (xd,), (vd,)),
          tf.jvp(lambda x: tf.grad(f_scalar(torch))(x, yt), (xt,), (vt,)))


def test_linearize_matches_jvp():
    (xd, xt), (yd, yt) = both(rnd(3, 2)), both(rnd(2, seed=3))
    outd, fnd = linearize(f_multi(dpt), xd, yd)
    outt, fnt = tf.linearize(f_multi(torch), xt, yt)
    close(outd, outt)
    for s in (1, 2):
        (ud, ut), (vd, vt) = both(rnd(3, 2, seed=s)), both(rnd(2, seed=s + 10))
        close(fnd(ud, vd), fnt(ut, vt))


# -- Jacobians and Hessians --------------------------------------------------------------------
@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacobians(jac, argnums):
    (xd, xt), (yd, yt) = both(rnd(3, 2)), both(rnd(2, seed=3))
    dfn, tfn = {"jacrev": (jacrev, tf.jacrev), "jacfwd": (jacfwd, tf.jacfwd)}[jac]
    close(dfn(f_multi(dpt), argnums)(xd, yd), tfn(f_multi(torch), argnums)(xt, yt))


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobian_dict_input_aux_and_scalar_output(jac):
    ad, at = both(rnd(2, 2))
    bd, bt = both(rnd(2, seed=1))
    dfn, tfn = {"jacrev": (jacrev, tf.jacrev), "jacfwd": (jacfwd, tf.jacfwd)}[jac]

    def f(p):
        y = (p["a"] @ p["b"]).tanh()
        return {"y": y, "s": y.sum()}, y.detach() * 2

    close(dfn(f, has_aux=True)({"a": ad, "b": bd}), tfn(f, has_aux=True)({"a": at, "b": bt}))


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobian_empty_and_noncontiguous(jac):
    dfn, tfn = {"jacrev": (jacrev, tf.jacrev), "jacfwd": (jacfwd, tf.jacfwd)}[jac]
    a = rnd(3, 2)
    close(dfn(lambda x: x.exp() * 2)(dpt.tensor(a).t()), tfn(lambda x: x.exp() * 2)(torch.tensor(a).t()))
    e = np.zeros((0, 2))
    close(dfn(lambda x: x.sum(0))(dpt.tensor(e)), tfn(lambda x: x.sum(0))(torch.tensor(e)))
    close(dfn(lambda x: x * 2)(dpt.tensor(e)), tfn(lambda x: x * 2)(torch.tensor(e)))


def test_hessian_and_jacrev_of_grad():
    (xd, xt), (yd, yt) = both(rnd(3)), both(rnd(3, seed=2))
    close(hessian(f_scalar(dpt))(xd, yd), tf.hessian(f_scalar(torch))(xt, yt))
    close(hessian(f_scalar(dpt), argnums=(0, 1))(xd, yd),
          tf.hessian(f_scalar(torch), argnums=(0, 1))(xt, yt))
    close(jacrev(grad(f_scalar(dpt)))(xd, yd), tf.jacrev(tf.grad(f_scalar(torch)))(xt, yt))
    close(jacfwd(jacfwd(lambda x: x.sin() * x.sum()))(xd),
          tf.jacfwd(tf.jacfwd(lambda x: x.sin() * x.sum()))(xt))


def test_jacobian_errors():
    with pytest.raises(ValueError, match="chunk_size"):
        jacrev(lambda x: x, chunk_size=0)
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        jacfwd(lambda x: x, randomness="sometimes")
    with pytest.raises(RuntimeError, match="randomness error mode"):
        jacfwd(lambda x: x * dpt.rand(3, dtype=dpt.float64))(dpt.ones(3, dtype=dpt.float64))
    with pytest.raises(RuntimeError, match="return only tensors"):
        jacrev(lambda x: (x, 3))(dpt.ones(3))
    z = dpt.tensor([1 + 2j, 3 - 1j])
    with pytest.raises(RuntimeError, match="jacfwd: Expected all inputs to be real but received "
                                           "complex tensor at flattened input idx: 1"):
        jacfwd(lambda x, z: x * 2)(dpt.ones(2), z)
    with pytest.raises(RuntimeError, match="jacrev: Expected all outputs to be real"):
        jacrev(lambda x: x * z)(dpt.ones(2))


def test_complex_grad_and_jvp():
    z, t = np.array([1 + 2j, 3 - 1j]), np.array([0.5 - 1j, 2 + 1j])
    close(grad(lambda z: (z.abs() ** 2).sum())(dpt.tensor(z)),
          tf.grad(lambda z: (z.abs() ** 2).sum())(torch.tensor(z)))
    for f in (lambda z: z * z.exp(), lambda z: z.conj(), lambda z: z.abs(), lambda z: z.real * z):
        close(jvp(f, (dpt.tensor(z),), (dpt.tensor(t),)), tf.jvp(f, (torch.tensor(z),), (torch.tensor(t),)))


def test_more_compositions():
    (xd, xt), (ud, ut), (vd, vt) = both(rnd(3)), both(rnd(3, seed=1)), both(rnd(3, seed=2))

    def f(x):
        return x.sin() * x.exp().sum()

    close(jacrev(jacrev(f))(xd), tf.jacrev(tf.jacrev(f))(xt))
    close(jacrev(jacfwd(f))(xd), tf.jacrev(tf.jacfwd(f))(xt))
    # second directional derivative: jvp of jvp
    close(jvp(lambda x: jvp(f, (x,), (vd,))[1], (xd,), (ud,)),
          tf.jvp(lambda x: tf.jvp(f, (x,), (vt,))[1], (xt,), (ut,)))
    # differentiating through vmap, and mapping jvp / vjp / jacfwd
    (md, mt) = both(rnd(4, 3, seed=3))
    close(grad(lambda m: vmap(f)(m).pow(2).sum())(md), tf.grad(lambda m: torch.vmap(f)(m).pow(2).sum())(mt))
    close(vmap(lambda x, u: jvp(f, (x,), (u,)))(md, md * 2),
          torch.vmap(lambda x, u: tf.jvp(f, (x,), (u,)))(mt, mt * 2))
    close(vmap(lambda x: vjp(f, x)[1](x)[0])(md), torch.vmap(lambda x: tf.vjp(f, x)[1](x)[0])(mt))
    close(vmap(jacfwd(f))(md), torch.vmap(tf.jacfwd(f))(mt))
    close(vmap(hessian(lambda x: f(x).sum()), in_dims=1)(md.t()),
          torch.vmap(tf.hessian(lambda x: f(x).sum()), in_dims=1)(mt.t()))


def test_transform_outputs_pass_gradcheck():
    """Every transform's result is itself differentiable, matching finite differences."""
    x = dpt.tensor(rnd(3), requires_grad=True)
    m = dpt.tensor(rnd(2, 3, seed=1), requires_grad=True)
    v = dpt.tensor(rnd(3, seed=2))

    def f(z):
        return z.sin() * (z * z).sum()

    assert gradcheck(lambda z: jacrev(f)(z), (x,))
    assert gradcheck(lambda z: jacfwd(f)(z), (x,))
    assert gradcheck(lambda z: jvp(f, (z,), (v,))[1], (x,))
    assert gradcheck(lambda z: vjp(f, z)[1](v)[0], (x,))
    assert gradcheck(lambda z: linearize(f, z)[1](v), (x,))
    assert gradcheck(lambda z: vmap(f)(z), (m,))
    assert gradcheck(lambda z: vmap(grad(lambda r: f(r).sum()), in_dims=1)(z), (m,))
    assert gradcheck(lambda z: hessian(lambda r: f(r).sum())(z), (x,))


# -- vmap ----------------------------------------------------------------------------------------
def test_vmap_in_dims_out_dims_and_kwargs():
    def f(x, y, *, s=1.0):
        return (x @ y) * s, x.sum()

    cases = [  # (x shape, y shape, in_dims, out_dims)
        ((2, 3, 4), (2, 4, 5), 0, 0),
        ((2, 3, 4), (4, 5), (0, None), (1, 0)),
        ((4, 2, 3), (3, 5), (1, None), (-1, 0)),
        ((3, 4, 2), (2, 4, 5), (-1, 0), -1),
    ]
    for i, (xs, ys, in_dims, out_dims) in enumerate(cases):
        (xd, xt), (yd, yt) = both(rnd(*xs, seed=i)), both(rnd(*ys, seed=i + 1))
        close(vmap(f, in_dims, out_dims)(xd, yd, s=2.0),
              torch.vmap(f, in_dims, out_dims)(xt, yt, s=2.0))


def test_vmap_nested_in_dims_pytrees_and_nested_vmap():
    (ad, at), (bd, bt) = both(rnd(4, 3)), both(rnd(3, 4, seed=1))

    def f(p, c):
        return {"u": p["a"] * p["b"] + c, "v": [p["a"].sum(), p["b"].max() * c]}

    in_dims = ({"a": 0, "b": 1}, None)
    close(vmap(f, in_dims)({"a": ad, "b": bd}, 1.5), torch.vmap(f, in_dims)({"a": at, "b": bt}, 1.5))
    (md, mt) = both(rnd(2, 3, 4))
    close(vmap(vmap(lambda x: x.softmax(0)))(md), torch.vmap(torch.vmap(lambda x: x.softmax(0)))(mt))
    close(vmap(vmap(lambda x: x.outer(x), in_dims=1), in_dims=0)(md),
          torch.vmap(torch.vmap(lambda x: x.outer(x), in_dims=1), in_dims=0)(mt))


def test_vmap_out_dims_none_and_empty_batch():
    xd, xt = both(rnd(3, 2))
    cd, ct = both(rnd(2, seed=4))
    close(vmap(lambda x: (x * 2, cd), out_dims=(0, None))(xd),
          torch.vmap(lambda x: (x * 2, ct), out_dims=(0, None))(xt))
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        vmap(lambda x: x * 2, out_dims=None)(xd)
    e = np.zeros((0, 2))
    close(vmap(lambda x: x * 2, out_dims=1)(dpt.tensor(e)),
          torch.vmap(lambda x: x * 2, out_dims=1)(torch.tensor(e)))
    # torch's own batching rule for sum fails on an empty batch; the result's shape is clear
    assert vmap(lambda x: x.outer(x).sum(0), out_dims=1)(dpt.tensor(e)).shape == (2, 0)


def test_vmap_data_dependent_control_flow():
    xd, _ = both(rnd(5, 3))
    out = vmap(lambda x: x * 2 if x.sum() > 0 else -x)(xd)
    ref = np.stack([r * 2 if r.sum() > 0 else -r for r in xd.numpy()])
    np.testing.assert_allclose(out.numpy(), ref)


def test_vmap_errors():
    x, y = dpt.ones(3, 2), dpt.ones(4, 2)
    with pytest.raises(ValueError, match="got sizes \\[3, 4\\] for the mapped dimension"):
        vmap(lambda a, b: a + b)(x, y)
    with pytest.raises(ValueError, match="at least one Tensor to vmap over"):
        vmap(lambda a: a, in_dims=(None,))(x)
    with pytest.raises(ValueError, match="expected in_dim to satisfy -2 <= in_dim < 2"):
        vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        vmap(lambda a, b: a, in_dims=(0, 0))(x, 1.0)
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure"):
        vmap(lambda a, b: a, in_dims=(0,))(x, x)
    with pytest.raises(ValueError, match="expected `in_dims` to be int or a"):
        vmap(lambda a: a, in_dims=[0])(x)
    with pytest.raises(ValueError, match="got no inputs"):
        vmap(lambda: x)()
    with pytest.raises(ValueError, match="must only return Tensors"):
        vmap(lambda a: 3)(x)
    with pytest.raises(ValueError, match="`out_dims` must be an int, None"):
        vmap(lambda a: a, out_dims="x")(x)
    with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
        vmap(lambda a: a, chunk_size=0)
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        vmap(lambda a: a, randomness="maybe")


def test_vmap_randomness():
    x = dpt.zeros(4, 3)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(lambda a: a + dpt.rand(3))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(lambda a: dpt.nn.functional.dropout(a + 1, 0.5))(x)
    dpt.manual_seed(0)
    same = vmap(lambda a: a + dpt.rand(3), randomness="same")(x)
    assert all(dpt.equal(same[i], same[0]) for i in range(4))
    dpt.manual_seed(0)
    diff = vmap(lambda a: a + dpt.rand(3), randomness="different")(x)
    assert not dpt.equal(diff[1], diff[0])
    # 'same' draws the numbers that one unbatched call draws
    dpt.manual_seed(0)
    np.testing.assert_array_equal(same[0].numpy(), dpt.rand(3).numpy())
    assert vmap(lambda a: a * 2)(x).shape == (4, 3)  # no draw, no error
    assert dpt.vmap is vmap


# -- the tutorials' recipes: per-sample gradients and ensembling ---------------------------------
def _mlps(n=1, seed=0):
    """n small dpt MLPs and torch twins holding the same weights."""
    dmodels, tmodels = [], []
    for i in range(n):
        dpt.manual_seed(seed + i)
        dm = dpt.nn.Sequential(dpt.nn.Linear(3, 5), dpt.nn.Tanh(), dpt.nn.Linear(5, 2)).double()
        tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
        with torch.no_grad():
            for (k, p), (_, q) in zip(dm.named_parameters(), tm.named_parameters()):
                q.copy_(torch.tensor(p.detach().numpy()))
        dmodels.append(dm)
        tmodels.append(tm)
    return dmodels, tmodels


def test_per_sample_gradients():
    (dm,), (tm,) = _mlps()
    (xd, xt), (td, tt) = both(rnd(6, 3)), both(rnd(6, 2, seed=1))

    def loss_fn(lib, model, fc):
        def compute(params, x, t):
            out = fc(model, params, (x.unsqueeze(0),))
            return lib.nn.functional.mse_loss(out, t.unsqueeze(0))
        return compute

    pd = {k: v.detach() for k, v in dm.named_parameters()}
    pt = {k: v.detach() for k, v in tm.named_parameters()}
    gd = vmap(grad(loss_fn(dpt, dm, functional_call)), in_dims=(None, 0, 0))(pd, xd, td)
    gt = torch.vmap(tf.grad(loss_fn(torch, tm, tf.functional_call)), in_dims=(None, 0, 0))(pt, xt, tt)
    close(gd, gt)
    # each row is the ordinary gradient of that sample's loss
    dm.zero_grad()
    loss_fn(dpt, dm, functional_call)(dict(dm.named_parameters()), xd[2], td[2]).backward()
    for k, p in dm.named_parameters():
        np.testing.assert_allclose(gd[k][2].numpy(), p.grad.numpy(), atol=1e-12)
    # per-sample Jacobians and Hessians of the model output w.r.t. the input
    f_d = lambda x: functional_call(dm, pd, (x,))  # noqa: E731
    f_t = lambda x: tf.functional_call(tm, pt, (x,))  # noqa: E731
    close(vmap(jacrev(f_d))(xd), torch.vmap(tf.jacrev(f_t))(xt))
    close(vmap(hessian(lambda x: f_d(x).sum()))(xd), torch.vmap(tf.hessian(lambda x: f_t(x).sum()))(xt))


def test_model_ensembling():
    dms, tms = _mlps(3, seed=10)
    pd, bd = stack_module_state(dms)
    pt, bt = tf.stack_module_state(tms)
    close(pd, pt)
    assert all(v.requires_grad and v.is_leaf for v in pd.values())
    xd, xt = both(rnd(4, 3))

    def run(fc, base):
        return lambda p, b, x: fc(base, (p, b), (x,))

    close(vmap(run(functional_call, dms[0]), in_dims=(0, 0, None))(pd, bd, xd),
          torch.vmap(run(tf.functional_call, tms[0]), in_dims=(0, 0, None))(pt, bt, xt))
    mbd, mbt = both(rnd(3, 4, 3, seed=2))  # a different minibatch per model
    outd = vmap(run(functional_call, dms[0]))(pd, bd, mbd)
    close(outd, torch.vmap(run(tf.functional_call, tms[0]))(pt, bt, mbt))
    # the stacked parameters train: gradients flow back through vmap to the leaves
    outd.sum().backward()
    torch.vmap(run(tf.functional_call, tms[0]))(pt, bt, mbt).sum().backward()
    close({k: v.grad for k, v in pd.items()}, {k: v.grad for k, v in pt.items()})


def test_stack_module_state_errors():
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        stack_module_state([])
    a, b = dpt.nn.Linear(2, 2), dpt.nn.Linear(2, 2)
    b.eval()
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        stack_module_state([a, b])
    with pytest.raises(RuntimeError, match="same class"):
        stack_module_state([a, dpt.nn.Tanh()])
    b.train()
    b.bias.requires_grad_(False)
    with pytest.raises(RuntimeError, match="Expected bias from each model to have the same"):
        stack_module_state([a, b])
    bn = [dpt.nn.BatchNorm1d(3), dpt.nn.BatchNorm1d(3)]
    params, buffers = stack_module_state(bn)
    assert buffers["running_mean"].shape == (2, 3) and not buffers["running_mean"].requires_grad


# -- on a GPU (the strict CuPy stand-in under DPT_CUDA_STANDIN=1) ---------------------------------
@pytest.mark.cuda
def test_transforms_on_cuda():
    a, b = rnd(4, 3), rnd(3, seed=1)
    cpu = [dpt.tensor(a), dpt.tensor(b)]
    dev = [dpt.tensor(a, device="cuda"), dpt.tensor(b, device="cuda")]

    def loss(x, w):
        return (x @ w).tanh().sum()

    for fn in (vmap(grad(loss, argnums=1), in_dims=(0, None)), jacrev(loss, argnums=(0, 1)),
               jacfwd(loss, argnums=1), hessian(loss, argnums=1)):
        got, ref = fn(*dev), fn(*cpu)
        got = got if isinstance(got, tuple) else (got,)
        ref = ref if isinstance(ref, tuple) else (ref,)
        for g, r in zip(got, ref):
            assert g.device.type == "cuda"
            np.testing.assert_allclose(g.cpu().numpy(), r.numpy(), atol=1e-12)
    # 'same' replays the first element's draws, also from a generator that draw created
    x = dpt.zeros(3, 2, device="cuda")
    same = vmap(lambda r: r + dpt.rand(2, device="cuda"), randomness="same")(x)
    assert dpt.equal(same[0], same[2])
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(lambda r: r + dpt.rand(2, device="cuda"))(x)


def test_replace_all_batch_norm_modules():
    dpt.manual_seed(0)
    dm = dpt.nn.Sequential(dpt.nn.Linear(3, 4), dpt.nn.BatchNorm1d(4)).double()
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)).double()
    with torch.no_grad():
        for p, q in zip(dm.parameters(), tm.parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))
    assert replace_all_batch_norm_modules_(dm) is dm
    tf.replace_all_batch_norm_modules_(tm)
    assert dm[1].running_mean is None and not dm[1].track_running_stats
    (xd, xt) = both(rnd(2, 5, 3))  # 2 groups of 5 samples, normalised per group
    pd = {k: v.detach() for k, v in dm.named_parameters()}
    pt = {k: v.detach() for k, v in tm.named_parameters()}
    close(vmap(lambda x: functional_call(dm, pd, (x,)))(xd),
          torch.vmap(lambda x: tf.functional_call(tm, pt, (x,)))(xt))
