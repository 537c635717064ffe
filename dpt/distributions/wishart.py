"""Wishart(df, covariance_matrix | precision_matrix | scale_tril): positive-definite matrices."""
from __future__ import annotations

import math
import warnings
from numbers import Number

import dpt
from .._tensor import Size
from . import constraints
from ._tril import vec_to_tril_matrix
from .chi2 import Chi2
from .exp_family import ExponentialFamily
from .multivariate_normal import _cholesky, _precision_to_scale_tril, _solve
from .utils import lazy_property

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x, p: int):
    """Multivariate digamma: sum_i digamma(x - i/2), i = 0..p-1."""
    if not bool((x > (p - 1) / 2).all()):
        raise ValueError("Wrong domain for multivariate digamma function.")
    half = dpt.arange(p, dtype=x.dtype, device=x.device) / 2
    return dpt.digamma(x.unsqueeze(-1) - half).sum(-1)


def _cholesky_solve(b, lmat):
    """(L L^T)^-1 b for lower-triangular L."""
    return _solve(lmat.transpose(-2, -1), _solve(lmat, b, upper=False), upper=True)


class Wishart(ExponentialFamily):
    """Wishart(df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
    validate_args=None): sums of df outer products of N(0, covariance) vectors; df > p - 1.

    rsample uses the Bartlett decomposition (chi-square diagonal, normal lower triangle), so it
    is differentiable in the scale matrix and, through Chi2's implicit reparameterisation, in
    df. Singular draws (possible for p - 1 < df < p) are redrawn up to max_try_correction
    times. Deviation: torch 2.13 inverts that singularity test, so it warns and redraws on
    every call; dpt redraws only singular samples, so seeded samples differ from torch's.
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if (covariance_matrix is not None) + (scale_tril is not None) + \
                (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        param = next(p for p in (covariance_matrix, precision_matrix, scale_tril)
                     if p is not None)
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, Number):
            batch_shape = Size(param.shape[:-2])
            self.df = dpt.tensor(df, dtype=param.dtype, device=param.device)
        else:
            batch_shape = dpt.broadcast_shapes(param.shape[:-2], df.shape)
            self.df = df.expand(batch_shape)
        event_shape = param.shape[-2:]
        if bool((self.df <= event_shape[-1] - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = "
                             f"{event_shape[-1] - 1}.")
        if scale_tril is not None:
            self.scale_tril = param.expand(batch_shape + (-1, -1))
        elif covariance_matrix is not None:
            self.covariance_matrix = param.expand(batch_shape + (-1, -1))
        else:
            self.precision_matrix = param.expand(batch_shape + (-1, -1))
        if bool((self.df < event_shape[-1]).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to "
                          "occur for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = _cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = self._bartlett_chi2(self.df, batch_shape)

    def _bartlett_chi2(self, df, batch_shape):
        """Chi2(df - i), i = 0..p-1: the squared diagonal of the Bartlett factor."""
        tril = self._unbroadcasted_scale_tril
        steps = dpt.arange(self._event_shape[-1], dtype=tril.dtype, device=tril.device)
        return Chi2(df=df.unsqueeze(-1) - steps.expand(tuple(batch_shape) + (-1,)))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = Size(batch_shape)
        cov_shape = batch_shape + self.event_shape
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        ExponentialFamily.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._dist_chi2 = new._bartlett_chi2(new.df, batch_shape)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        lmat = self._unbroadcasted_scale_tril
        return (lmat @ lmat.transpose(-2, -1)).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        lmat = self._unbroadcasted_scale_tril
        eye = dpt.eye(self._event_shape[-1], dtype=lmat.dtype, device=lmat.device)
        return _cholesky_solve(eye.expand(lmat.shape), lmat).expand(
            self._batch_shape + self._event_shape)

    @property
    def mean(self):
        return self.df.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = dpt.where(factor <= 0, dpt.full_like(factor, math.nan), factor)
        return factor.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        v = self.covariance_matrix
        diag_v = v.diagonal(dim1=-2, dim2=-1)
        return self.df.view(tuple(self._batch_shape) + (1, 1)) * (
            v.pow(2) + diag_v.unsqueeze(-1) * diag_v.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape=Size()):
        p = self._event_shape[-1]
        chi = self._dist_chi2.rsample(sample_shape).sqrt()
        diag = chi.clamp(min=dpt.finfo(chi.dtype).eps)
        lower = dpt.randn(tuple(sample_shape) + tuple(self._batch_shape) + (p * (p - 1) // 2,),
                          dtype=diag.dtype, device=diag.device)
        noise = dpt.diag_embed(diag) + vec_to_tril_matrix(lower, diag=-1)
        chol = self._unbroadcasted_scale_tril @ noise
        return chol @ chol.transpose(-2, -1)

    def _singular(self, sample):
        """Per sample index: does any batch member fail to be positive definite?"""
        bad = ~self.support.check(sample)
        if self._batch_shape:
            bad = bad.reshape(tuple(bad.shape[:bad.dim() - len(self._batch_shape)]) + (-1,))
            bad = bad.any(-1)
        return bad

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        if max_try_correction is None:
            max_try_correction = 10
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        bad = self._singular(sample)
        if bool(bad.any()):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                fresh = self._bartlett_sampling(sample_shape)
                mask = bad.reshape(tuple(bad.shape) + (1,) * (sample.dim() - bad.dim()))
                sample = dpt.where(mask, fresh, sample)
                bad = self._singular(sample)
                if not bool(bad.any()):
                    break
        return sample

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df
        p = self._event_shape[-1]
        lmat = self._unbroadcasted_scale_tril
        half_logdet = lmat.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = _cholesky_solve(value, lmat).diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + half_logdet) - dpt.mvlgamma(nu / 2, p=p)
                + (nu - p - 1) / 2 * dpt.linalg.slogdet(value)[1] - trace / 2)

    def entropy(self):
        nu = self.df
        p = self._event_shape[-1]
        half_logdet = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) * (p * _LOG_2 / 2 + half_logdet) + dpt.mvlgamma(nu / 2, p=p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p) + nu * p / 2)

    @property
    def _natural_params(self):
        nu = self.df
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (nu - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-dpt.linalg.slogdet(-2 * x)[1] + _LOG_2 * p)
                + dpt.mvlgamma(y + (p + 1) / 2, p=p))
