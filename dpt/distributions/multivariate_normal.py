"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril)."""
from __future__ import annotations

import math

import numpy as np

import dpt
from .. import _device
from .._tensor import Size, Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from . import constraints
from .distribution import Distribution
from .utils import lazy_property

__all__ = ["MultivariateNormal"]


# ---- the two factorisations this distribution needs, differentiable ----------------------
class _Cholesky(Function):
    """L with A = L L^T (batched); backward gA = sym(L^-T Phi(L^T gL) L^-1), Phi = the lower
    triangle with a halved diagonal."""

    def forward(self, a):
        xp = _device.xp_of(a)
        try:
            out = xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise RuntimeError("cholesky: The factorization could not be completed because the "
                               "input is not positive-definite.") from None
        if xp is not np and bool(xp.isnan(out).any()):  # the GPU module reports failure with NaNs
            raise RuntimeError("cholesky: The factorization could not be completed because the "
                               "input is not positive-definite.")
        self.save_output(out)
        return out

    def backward(self, gl):
        lmat = self.saved_output() if not is_grad_enabled() else _cholesky(self.inputs[0])
        lt = lmat.transpose(-2, -1)
        phi = (lt @ gl).tril()
        phi = phi - 0.5 * dpt.diag_embed(phi.diagonal(dim1=-2, dim2=-1))
        s = _solve(lt, _solve(lt, phi, upper=True).transpose(-2, -1), upper=True)
        # s = L^-T (L^-T phi)^T = L^-T phi^T L^-1; symmetrising makes phi vs phi^T irrelevant
        return 0.5 * (s + s.transpose(-2, -1))


class _Solve(Function):
    """X = A^-1 B for (batched, broadcast) A and B; triangle='lower'/'upper' reads only that
    triangle of A (a triangular solve), None a general one."""

    def forward(self, a, b, triangle=None):
        xp = _device.xp_of(a)
        if triangle == "lower":
            a = xp.tril(a)
        elif triangle == "upper":
            a = xp.triu(a)
        self.triangle = triangle
        return xp.linalg.solve(a, b)

    def backward(self, gx):
        a, b = self.inputs
        tri = self.triangle
        flipped = {"lower": "upper", "upper": "lower", None: None}[tri]
        x = _Solve.apply(a, b, triangle=tri)
        gb = _Solve.apply(a.transpose(-2, -1), gx, triangle=flipped)
        ga = None
        if self.needs_input_grad[0]:
            ga = -(gb @ x.transpose(-2, -1))
            if tri == "lower":
                ga = ga.tril()
            elif tri == "upper":
                ga = ga.triu()
        return ga, gb if self.needs_input_grad[1] else None


def _cholesky(a: Tensor) -> Tensor:
    return _Cholesky.apply(a)


def _solve(a: Tensor, b: Tensor, upper: bool | None = None) -> Tensor:
    """a^-1 b; upper=False/True: a triangular solve reading only that triangle of a."""
    tri = None if upper is None else ("upper" if upper else "lower")
    return _Solve.apply(a, b, triangle=tri)


def _batch_mahalanobis(bl: Tensor, bx: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x for lower-triangular L (..., n, n) and x (..., n), broadcasting."""
    y = _solve(bl, bx.unsqueeze(-1), upper=False).squeeze(-1)
    return y.pow(2).sum(-1)


def _eye_like(a: Tensor) -> Tensor:
    return dpt.eye(a.shape[-1], dtype=a.dtype, device=a.device).expand(a.shape)


def _precision_to_scale_tril(p: Tensor) -> Tensor:
    cov = _solve(p, _eye_like(p))
    return _cholesky(0.5 * (cov + cov.transpose(-2, -1)))


class MultivariateNormal(Distribution):
    """MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
    validate_args=None): exactly one of the three matrices; batch dims broadcast with loc's."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + \
                (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        if scale_tril is not None:
            if scale_tril.dim() < 2:
                raise ValueError("scale_tril matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = dpt.broadcast_shapes(scale_tril.shape[:-2], loc.shape[:-1])
            self.scale_tril = scale_tril.expand(batch_shape + (-1, -1))
        elif covariance_matrix is not None:
            if covariance_matrix.dim() < 2:
                raise ValueError("covariance_matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = dpt.broadcast_shapes(covariance_matrix.shape[:-2], loc.shape[:-1])
            self.covariance_matrix = covariance_matrix.expand(batch_shape + (-1, -1))
        else:
            if precision_matrix.dim() < 2:
                raise ValueError("precision_matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = dpt.broadcast_shapes(precision_matrix.shape[:-2], loc.shape[:-1])
            self.precision_matrix = precision_matrix.expand(batch_shape + (-1, -1))
        self.loc = loc.expand(batch_shape + (-1,))
        event_shape = self.loc.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = _cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        loc_shape = batch_shape + self.event_shape
        cov_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        super(MultivariateNormal, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(
            self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        lmat = self._unbroadcasted_scale_tril
        return (lmat @ lmat.transpose(-2, -1)).expand(
            self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        lmat = self._unbroadcasted_scale_tril
        linv = _solve(lmat, _eye_like(lmat), upper=False)
        return (linv.transpose(-2, -1) @ linv).expand(
            self._batch_shape + self._event_shape + self._event_shape)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = dpt.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        if len(self._batch_shape) == 0:
            return h
        return h.expand(self._batch_shape)
