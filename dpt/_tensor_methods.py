"""The torch method surface of Tensor, each delegating to the function of the same name in dpt.ops.

In-place ``name_`` twins run the out-of-place op and write the result back through
``Tensor._inplace``, which checks shapes, dtypes and autograd rules in one place.
"""

_ops = None  # bound by dpt._tensor once dpt.ops is importable


def _dpt():
    import dpt
    return dpt


class TensorMethods:
    """Mixin of Tensor: the math methods (see the functions in dpt.ops for docs)."""

    __slots__ = ()

    def abs(self, *args, **kwargs):
        return _ops.abs(self, *args, **kwargs)

    def absolute(self, *args, **kwargs):
        return _ops.absolute(self, *args, **kwargs)

    def neg(self, *args, **kwargs):
        return _ops.neg(self, *args, **kwargs)

    def negative(self, *args, **kwargs):
        return _ops.negative(self, *args, **kwargs)

    def positive(self, *args, **kwargs):
        return _ops.positive(self, *args, **kwargs)

    def sign(self, *args, **kwargs):
        return _ops.sign(self, *args, **kwargs)

    def sgn(self, *args, **kwargs):
        return _ops.sgn(self, *args, **kwargs)

    def exp(self, *args, **kwargs):
        return _ops.exp(self, *args, **kwargs)

    def exp2(self, *args, **kwargs):
        return _ops.exp2(self, *args, **kwargs)

    def expm1(self, *args, **kwargs):
        return _ops.expm1(self, *args, **kwargs)

    def log(self, *args, **kwargs):
        return _ops.log(self, *args, **kwargs)

    def log1p(self, *args, **kwargs):
        return _ops.log1p(self, *args, **kwargs)

    def log2(self, *args, **kwargs):
        return _ops.log2(self, *args, **kwargs)

    def log10(self, *args, **kwargs):
        return _ops.log10(self, *args, **kwargs)

    def sqrt(self, *args, **kwargs):
        return _ops.sqrt(self, *args, **kwargs)

    def rsqrt(self, *args, **kwargs):
        return _ops.rsqrt(self, *args, **kwargs)

    def square(self, *args, **kwargs):
        return _ops.square(self, *args, **kwargs)

    def reciprocal(self, *args, **kwargs):
        return _ops.reciprocal(self, *args, **kwargs)

    def sin(self, *args, **kwargs):
        return _ops.sin(self, *args, **kwargs)

    def cos(self, *args, **kwargs):
        return _ops.cos(self, *args, **kwargs)

    def tan(self, *args, **kwargs):
        return _ops.tan(self, *args, **kwargs)

    def asin(self, *args, **kwargs):
        return _ops.asin(self, *args, **kwargs)

    def acos(self, *args, **kwargs):
        return _ops.acos(self, *args, **kwargs)

    def atan(self, *args, **kwargs):
        return _ops.atan(self, *args, **kwargs)

    def arcsin(self, *args, **kwargs):
        return _ops.arcsin(self, *args, **kwargs)

    def arccos(self, *args, **kwargs):
        return _ops.arccos(self, *args, **kwargs)

    def arctan(self, *args, **kwargs):
        return _ops.arctan(self, *args, **kwargs)

    def sinh(self, *args, **kwargs):
        return _ops.sinh(self, *args, **kwargs)

    def cosh(self, *args, **kwargs):
        return _ops.cosh(self, *args, **kwargs)

    def tanh(self, *args, **kwargs):
        return _ops.tanh(self, *args, **kwargs)

    def asinh(self, *args, **kwargs):
        return _ops.asinh(self, *args, **kwargs)

    def acosh(self, *args, **kwargs):
        return _ops.acosh(self, *args, **kwargs)

    def atanh(self, *args, **kwargs):
        return _ops.atanh(self, *args, **kwargs)

    def arcsinh(self, *args, **kwargs):
        return _ops.arcsinh(self, *args, **kwargs)

    def arccosh(self, *args, **kwargs):
        return _ops.arccosh(self, *args, **kwargs)

    def arctanh(self, *args, **kwargs):
        return _ops.arctanh(self, *args, **kwargs)

    def sigmoid(self, *args, **kwargs):
        return _ops.sigmoid(self, *args, **kwargs)

    def logit(self, *args, **kwargs):
        return _ops.logit(self, *args, **kwargs)

    def erf(self, *args, **kwargs):
        return _ops.erf(self, *args, **kwargs)

    def erfc(self, *args, **kwargs):
        return _ops.erfc(self, *args, **kwargs)

    def erfinv(self, *args, **kwargs):
        return _ops.erfinv(self, *args, **kwargs)

    def relu(self, *args, **kwargs):
        return _ops.relu(self, *args, **kwargs)

    def floor(self, *args, **kwargs):
        return _ops.floor(self, *args, **kwargs)

    def ceil(self, *args, **kwargs):
        return _ops.ceil(self, *args, **kwargs)

    def round(self, *args, **kwargs):
        return _ops.round(self, *args, **kwargs)

    def trunc(self, *args, **kwargs):
        return _ops.trunc(self, *args, **kwargs)

    def fix(self, *args, **kwargs):
        return _ops.fix(self, *args, **kwargs)

    def frac(self, *args, **kwargs):
        return _ops.frac(self, *args, **kwargs)

    def isfinite(self, *args, **kwargs):
        return _ops.isfinite(self, *args, **kwargs)

    def isnan(self, *args, **kwargs):
        return _ops.isnan(self, *args, **kwargs)

    def isinf(self, *args, **kwargs):
        return _ops.isinf(self, *args, **kwargs)

    def isposinf(self, *args, **kwargs):
        return _ops.isposinf(self, *args, **kwargs)

    def isneginf(self, *args, **kwargs):
        return _ops.isneginf(self, *args, **kwargs)

    def isreal(self, *args, **kwargs):
        return _ops.isreal(self, *args, **kwargs)

    def nan_to_num(self, *args, **kwargs):
        return _ops.nan_to_num(self, *args, **kwargs)

    def logical_not(self, *args, **kwargs):
        return _ops.logical_not(self, *args, **kwargs)

    def bitwise_not(self, *args, **kwargs):
        return _ops.bitwise_not(self, *args, **kwargs)

    def signbit(self, *args, **kwargs):
        return _ops.signbit(self, *args, **kwargs)

    def conj(self, *args, **kwargs):
        return _ops.conj(self, *args, **kwargs)

    def angle(self, *args, **kwargs):
        return _ops.angle(self, *args, **kwargs)

    def deg2rad(self, *args, **kwargs):
        return _ops.deg2rad(self, *args, **kwargs)

    def rad2deg(self, *args, **kwargs):
        return _ops.rad2deg(self, *args, **kwargs)

    def lgamma(self, *args, **kwargs):
        return _ops.lgamma(self, *args, **kwargs)

    def digamma(self, *args, **kwargs):
        return _ops.digamma(self, *args, **kwargs)

    def polygamma(self, n, **kwargs):
        return _ops.polygamma(n, self, **kwargs)

    def sinc(self, *args, **kwargs):
        return _ops.sinc(self, *args, **kwargs)

    def clamp(self, *args, **kwargs):
        return _ops.clamp(self, *args, **kwargs)

    def clip(self, *args, **kwargs):
        return _ops.clip(self, *args, **kwargs)

    def clamp_min(self, *args, **kwargs):
        return _ops.clamp_min(self, *args, **kwargs)

    def clamp_max(self, *args, **kwargs):
        return _ops.clamp_max(self, *args, **kwargs)

    def pow(self, *args, **kwargs):
        return _ops.pow(self, *args, **kwargs)

    def float_power(self, *args, **kwargs):
        return _ops.float_power(self, *args, **kwargs)

    def add(self, *args, **kwargs):
        return _ops.add(self, *args, **kwargs)

    def sub(self, *args, **kwargs):
        return _ops.sub(self, *args, **kwargs)

    def subtract(self, *args, **kwargs):
        return _ops.subtract(self, *args, **kwargs)

    def mul(self, *args, **kwargs):
        return _ops.mul(self, *args, **kwargs)

    def multiply(self, *args, **kwargs):
        return _ops.multiply(self, *args, **kwargs)

    def div(self, *args, **kwargs):
        return _ops.div(self, *args, **kwargs)

    def divide(self, *args, **kwargs):
        return _ops.divide(self, *args, **kwargs)

    def true_divide(self, *args, **kwargs):
        return _ops.true_divide(self, *args, **kwargs)

    def floor_divide(self, *args, **kwargs):
        return _ops.floor_divide(self, *args, **kwargs)

    def remainder(self, *args, **kwargs):
        return _ops.remainder(self, *args, **kwargs)

    def fmod(self, *args, **kwargs):
        return _ops.fmod(self, *args, **kwargs)

    def atan2(self, *args, **kwargs):
        return _ops.atan2(self, *args, **kwargs)

    def arctan2(self, *args, **kwargs):
        return _ops.arctan2(self, *args, **kwargs)

    def lerp(self, *args, **kwargs):
        return _ops.lerp(self, *args, **kwargs)

    def addcmul(self, *args, **kwargs):
        return _ops.addcmul(self, *args, **kwargs)

    def addcdiv(self, *args, **kwargs):
        return _ops.addcdiv(self, *args, **kwargs)

    def maximum(self, *args, **kwargs):
        return _ops.maximum(self, *args, **kwargs)

    def minimum(self, *args, **kwargs):
        return _ops.minimum(self, *args, **kwargs)

    def fmax(self, *args, **kwargs):
        return _ops.fmax(self, *args, **kwargs)

    def fmin(self, *args, **kwargs):
        return _ops.fmin(self, *args, **kwargs)

    def hypot(self, *args, **kwargs):
        return _ops.hypot(self, *args, **kwargs)

    def copysign(self, *args, **kwargs):
        return _ops.copysign(self, *args, **kwargs)

    def xlogy(self, *args, **kwargs):
        return _ops.xlogy(self, *args, **kwargs)

    def logaddexp(self, *args, **kwargs):
        return _ops.logaddexp(self, *args, **kwargs)

    def logical_and(self, *args, **kwargs):
        return _ops.logical_and(self, *args, **kwargs)

    def logical_or(self, *args, **kwargs):
        return _ops.logical_or(self, *args, **kwargs)

    def logical_xor(self, *args, **kwargs):
        return _ops.logical_xor(self, *args, **kwargs)

    def bitwise_and(self, *args, **kwargs):
        return _ops.bitwise_and(self, *args, **kwargs)

    def bitwise_or(self, *args, **kwargs):
        return _ops.bitwise_or(self, *args, **kwargs)

    def bitwise_xor(self, *args, **kwargs):
        return _ops.bitwise_xor(self, *args, **kwargs)

    def bitwise_left_shift(self, *args, **kwargs):
        return _ops.bitwise_left_shift(self, *args, **kwargs)

    def bitwise_right_shift(self, *args, **kwargs):
        return _ops.bitwise_right_shift(self, *args, **kwargs)

    def eq(self, *args, **kwargs):
        return _ops.eq(self, *args, **kwargs)

    def ne(self, *args, **kwargs):
        return _ops.ne(self, *args, **kwargs)

    def lt(self, *args, **kwargs):
        return _ops.lt(self, *args, **kwargs)

    def le(self, *args, **kwargs):
        return _ops.le(self, *args, **kwargs)

    def gt(self, *args, **kwargs):
        return _ops.gt(self, *args, **kwargs)

    def ge(self, *args, **kwargs):
        return _ops.ge(self, *args, **kwargs)

    def greater(self, *args, **kwargs):
        return _ops.greater(self, *args, **kwargs)

    def greater_equal(self, *args, **kwargs):
        return _ops.greater_equal(self, *args, **kwargs)

    def less(self, *args, **kwargs):
        return _ops.less(self, *args, **kwargs)

    def less_equal(self, *args, **kwargs):
        return _ops.less_equal(self, *args, **kwargs)

    def not_equal(self, *args, **kwargs):
        return _ops.not_equal(self, *args, **kwargs)

    def equal(self, *args, **kwargs):
        return _ops.equal(self, *args, **kwargs)

    def allclose(self, *args, **kwargs):
        return _ops.allclose(self, *args, **kwargs)

    def isclose(self, *args, **kwargs):
        return _ops.isclose(self, *args, **kwargs)

    def sum(self, *args, **kwargs):
        return _ops.sum(self, *args, **kwargs)

    def nansum(self, *args, **kwargs):
        return _ops.nansum(self, *args, **kwargs)

    def mean(self, *args, **kwargs):
        return _ops.mean(self, *args, **kwargs)

    def nanmean(self, *args, **kwargs):
        return _ops.nanmean(self, *args, **kwargs)

    def prod(self, *args, **kwargs):
        return _ops.prod(self, *args, **kwargs)

    def std(self, *args, **kwargs):
        return _ops.std(self, *args, **kwargs)

    def var(self, *args, **kwargs):
        return _ops.var(self, *args, **kwargs)

    def max(self, *args, **kwargs):
        return _ops.max(self, *args, **kwargs)

    def min(self, *args, **kwargs):
        return _ops.min(self, *args, **kwargs)

    def amax(self, *args, **kwargs):
        return _ops.amax(self, *args, **kwargs)

    def amin(self, *args, **kwargs):
        return _ops.amin(self, *args, **kwargs)

    def aminmax(self, *args, **kwargs):
        return _ops.aminmax(self, *args, **kwargs)

    def argmax(self, *args, **kwargs):
        return _ops.argmax(self, *args, **kwargs)

    def argmin(self, *args, **kwargs):
        return _ops.argmin(self, *args, **kwargs)

    def median(self, *args, **kwargs):
        return _ops.median(self, *args, **kwargs)

    def nanmedian(self, *args, **kwargs):
        return _ops.nanmedian(self, *args, **kwargs)

    def mode(self, *args, **kwargs):
        return _ops.mode(self, *args, **kwargs)

    def logsumexp(self, *args, **kwargs):
        return _ops.logsumexp(self, *args, **kwargs)

    def cumsum(self, *args, **kwargs):
        return _ops.cumsum(self, *args, **kwargs)

    def cumprod(self, *args, **kwargs):
        return _ops.cumprod(self, *args, **kwargs)

    def cummax(self, *args, **kwargs):
        return _ops.cummax(self, *args, **kwargs)

    def cummin(self, *args, **kwargs):
        return _ops.cummin(self, *args, **kwargs)

    def logcumsumexp(self, *args, **kwargs):
        return _ops.logcumsumexp(self, *args, **kwargs)

    def norm(self, *args, **kwargs):
        return _ops.norm(self, *args, **kwargs)

    def dist(self, *args, **kwargs):
        return _ops.dist(self, *args, **kwargs)

    def all(self, *args, **kwargs):
        return _ops.all(self, *args, **kwargs)

    def any(self, *args, **kwargs):
        return _ops.any(self, *args, **kwargs)

    def count_nonzero(self, *args, **kwargs):
        return _ops.count_nonzero(self, *args, **kwargs)

    def sort(self, *args, **kwargs):
        return _ops.sort(self, *args, **kwargs)

    def argsort(self, *args, **kwargs):
        return _ops.argsort(self, *args, **kwargs)

    def topk(self, *args, **kwargs):
        return _ops.topk(self, *args, **kwargs)

    def kthvalue(self, *args, **kwargs):
        return _ops.kthvalue(self, *args, **kwargs)

    def unique(self, *args, **kwargs):
        return _ops.unique(self, *args, **kwargs)

    def unique_consecutive(self, *args, **kwargs):
        return _ops.unique_consecutive(self, *args, **kwargs)

    def histc(self, *args, **kwargs):
        return _ops.histc(self, *args, **kwargs)

    def msort(self, *args, **kwargs):
        return _ops.msort(self, *args, **kwargs)

    def view(self, *args, **kwargs):
        return _ops.view(self, *args, **kwargs)

    def view_as(self, *args, **kwargs):
        return _ops.view_as(self, *args, **kwargs)

    def reshape(self, *args, **kwargs):
        return _ops.reshape(self, *args, **kwargs)

    def reshape_as(self, *args, **kwargs):
        return _ops.reshape_as(self, *args, **kwargs)

    def flatten(self, *args, **kwargs):
        return _ops.flatten(self, *args, **kwargs)

    def unflatten(self, *args, **kwargs):
        return _ops.unflatten(self, *args, **kwargs)

    def squeeze(self, *args, **kwargs):
        return _ops.squeeze(self, *args, **kwargs)

    def unsqueeze(self, *args, **kwargs):
        return _ops.unsqueeze(self, *args, **kwargs)

    def permute(self, *args, **kwargs):
        return _ops.permute(self, *args, **kwargs)

    def transpose(self, *args, **kwargs):
        return _ops.transpose(self, *args, **kwargs)

    def t(self, *args, **kwargs):
        return _ops.t(self, *args, **kwargs)

    def swapaxes(self, *args, **kwargs):
        return _ops.swapaxes(self, *args, **kwargs)

    def swapdims(self, *args, **kwargs):
        return _ops.swapdims(self, *args, **kwargs)

    def expand(self, *args, **kwargs):
        return _ops.expand(self, *args, **kwargs)

    def expand_as(self, *args, **kwargs):
        return _ops.expand_as(self, *args, **kwargs)

    def narrow(self, *args, **kwargs):
        return _ops.narrow(self, *args, **kwargs)

    def unbind(self, *args, **kwargs):
        return _ops.unbind(self, *args, **kwargs)

    def split(self, *args, **kwargs):
        return _ops.split(self, *args, **kwargs)

    def chunk(self, *args, **kwargs):
        return _ops.chunk(self, *args, **kwargs)

    def tensor_split(self, *args, **kwargs):
        return _ops.tensor_split(self, *args, **kwargs)

    def movedim(self, *args, **kwargs):
        return _ops.movedim(self, *args, **kwargs)

    def moveaxis(self, *args, **kwargs):
        return _ops.moveaxis(self, *args, **kwargs)

    def diagonal(self, *args, **kwargs):
        return _ops.diagonal(self, *args, **kwargs)

    def as_strided(self, *args, **kwargs):
        return _ops.as_strided(self, *args, **kwargs)

    def repeat(self, *args, **kwargs):
        return _ops.repeat(self, *args, **kwargs)

    def tile(self, *args, **kwargs):
        return _ops.tile(self, *args, **kwargs)

    def flip(self, *dims, **kwargs):  # x.flip(0, 2) or x.flip((0, 2))
        return _ops.flip(self, dims if len(dims) > 1 else dims[0], **kwargs) if dims else \
            _ops.flip(self, **kwargs)

    def fliplr(self, *args, **kwargs):
        return _ops.fliplr(self, *args, **kwargs)

    def flipud(self, *args, **kwargs):
        return _ops.flipud(self, *args, **kwargs)

    def roll(self, *args, **kwargs):
        return _ops.roll(self, *args, **kwargs)

    def broadcast_to(self, *args, **kwargs):
        return _ops.broadcast_to(self, *args, **kwargs)

    def contiguous(self, *args, **kwargs):
        return _ops.contiguous(self, *args, **kwargs)

    def ravel(self, *args, **kwargs):
        return _ops.ravel(self, *args, **kwargs)

    def tril(self, *args, **kwargs):
        return _ops.tril(self, *args, **kwargs)

    def triu(self, *args, **kwargs):
        return _ops.triu(self, *args, **kwargs)

    def diag(self, *args, **kwargs):
        return _ops.diag(self, *args, **kwargs)

    def diag_embed(self, *args, **kwargs):
        return _ops.diag_embed(self, *args, **kwargs)

    def trace(self, *args, **kwargs):
        return _ops.trace(self, *args, **kwargs)

    def index_select(self, *args, **kwargs):
        return _ops.index_select(self, *args, **kwargs)

    def gather(self, *args, **kwargs):
        return _ops.gather(self, *args, **kwargs)

    def scatter(self, *args, **kwargs):
        return _ops.scatter(self, *args, **kwargs)

    def scatter_add(self, *args, **kwargs):
        return _ops.scatter_add(self, *args, **kwargs)

    def scatter_reduce(self, *args, **kwargs):
        return _ops.scatter_reduce(self, *args, **kwargs)

    def masked_select(self, *args, **kwargs):
        return _ops.masked_select(self, *args, **kwargs)

    def masked_fill(self, *args, **kwargs):
        return _ops.masked_fill(self, *args, **kwargs)

    def masked_scatter(self, *args, **kwargs):
        return _ops.masked_scatter(self, *args, **kwargs)

    def nonzero(self, *args, **kwargs):
        return _ops.nonzero(self, *args, **kwargs)

    def take(self, *args, **kwargs):
        return _ops.take(self, *args, **kwargs)

    def take_along_dim(self, *args, **kwargs):
        return _ops.take_along_dim(self, *args, **kwargs)

    def index_add(self, *args, **kwargs):
        return _ops.index_add(self, *args, **kwargs)

    def index_copy(self, *args, **kwargs):
        return _ops.index_copy(self, *args, **kwargs)

    def index_fill(self, *args, **kwargs):
        return _ops.index_fill(self, *args, **kwargs)

    def index_put(self, *args, **kwargs):
        return _ops.index_put(self, *args, **kwargs)

    def where(self, condition, other):
        return _ops.where(condition, self, other)  # x.where(c, y) is where(c, x, y)

    def argwhere(self):
        return _ops.argwhere(self)

    def unfold(self, dimension, size, step):
        return _ops.unfold(self, dimension, size, step)

    def hsplit(self, *args, **kwargs):
        return _ops.hsplit(self, *args, **kwargs)

    def vsplit(self, *args, **kwargs):
        return _ops.vsplit(self, *args, **kwargs)

    def dsplit(self, *args, **kwargs):
        return _ops.dsplit(self, *args, **kwargs)

    def matmul(self, *args, **kwargs):
        return _ops.matmul(self, *args, **kwargs)

    def mm(self, *args, **kwargs):
        return _ops.mm(self, *args, **kwargs)

    def bmm(self, *args, **kwargs):
        return _ops.bmm(self, *args, **kwargs)

    def mv(self, *args, **kwargs):
        return _ops.mv(self, *args, **kwargs)

    def dot(self, *args, **kwargs):
        return _ops.dot(self, *args, **kwargs)

    def vdot(self, *args, **kwargs):
        return _ops.vdot(self, *args, **kwargs)

    def outer(self, *args, **kwargs):
        return _ops.outer(self, *args, **kwargs)

    def inner(self, *args, **kwargs):
        return _ops.inner(self, *args, **kwargs)

    def addmm(self, *args, **kwargs):
        return _ops.addmm(self, *args, **kwargs)

    def addmv(self, *args, **kwargs):
        return _ops.addmv(self, *args, **kwargs)

    def addbmm(self, *args, **kwargs):
        return _ops.addbmm(self, *args, **kwargs)

    def baddbmm(self, *args, **kwargs):
        return _ops.baddbmm(self, *args, **kwargs)

    def addmm_(self, *args, **kwargs):
        return self._inplace(_ops.addmm(self, *args, **kwargs), "addmm_")

    def addmv_(self, *args, **kwargs):
        return self._inplace(_ops.addmv(self, *args, **kwargs), "addmv_")

    def addbmm_(self, *args, **kwargs):
        return self._inplace(_ops.addbmm(self, *args, **kwargs), "addbmm_")

    def baddbmm_(self, *args, **kwargs):
        return self._inplace(_ops.baddbmm(self, *args, **kwargs), "baddbmm_")

    def kron(self, *args, **kwargs):
        return _ops.kron(self, *args, **kwargs)

    # torch's linear-algebra and spectral methods live outside dpt.ops (dpt.linalg,
    # dpt.functional), so these look the function up on the dpt namespace.
    def cross(self, *args, **kwargs):
        return _dpt().cross(self, *args, **kwargs)

    def det(self, *args, **kwargs):
        return _dpt().det(self, *args, **kwargs)

    def logdet(self, *args, **kwargs):
        return _dpt().logdet(self, *args, **kwargs)

    def slogdet(self, *args, **kwargs):
        return _dpt().slogdet(self, *args, **kwargs)

    def inverse(self, *args, **kwargs):
        return _dpt().inverse(self, *args, **kwargs)

    def pinverse(self, *args, **kwargs):
        return _dpt().pinverse(self, *args, **kwargs)

    def cholesky(self, *args, **kwargs):
        return _dpt().cholesky(self, *args, **kwargs)

    def cholesky_solve(self, *args, **kwargs):
        return _dpt().cholesky_solve(self, *args, **kwargs)

    def cholesky_inverse(self, *args, **kwargs):
        return _dpt().cholesky_inverse(self, *args, **kwargs)

    def qr(self, *args, **kwargs):
        return _dpt().qr(self, *args, **kwargs)

    def svd(self, *args, **kwargs):
        return _dpt().svd(self, *args, **kwargs)

    def lu(self, *args, **kwargs):
        return _dpt().lu(self, *args, **kwargs)

    def lu_solve(self, *args, **kwargs):
        return _dpt().lu_solve(self, *args, **kwargs)

    def triangular_solve(self, *args, **kwargs):
        return _dpt().triangular_solve(self, *args, **kwargs)

    def matrix_power(self, *args, **kwargs):
        return _dpt().matrix_power(self, *args, **kwargs)

    def matrix_exp(self, *args, **kwargs):
        return _dpt().matrix_exp(self, *args, **kwargs)

    def stft(self, *args, **kwargs):
        return _dpt().stft(self, *args, **kwargs)

    def istft(self, *args, **kwargs):
        return _dpt().istft(self, *args, **kwargs)

    def clone(self, *args, **kwargs):
        return _ops.clone(self, *args, **kwargs)

    def softmax(self, *args, **kwargs):
        return _ops.softmax(self, *args, **kwargs)

    def log_softmax(self, *args, **kwargs):
        return _ops.log_softmax(self, *args, **kwargs)

    # dpt.ops.misc: the rest of torch's tensor methods
    def select(self, *args, **kwargs):
        return _ops.select(self, *args, **kwargs)

    def diff(self, *args, **kwargs):
        return _ops.diff(self, *args, **kwargs)

    def bincount(self, *args, **kwargs):
        return _ops.bincount(self, *args, **kwargs)

    def histogram(self, *args, **kwargs):
        return _ops.histogram(self, *args, **kwargs)

    def quantile(self, *args, **kwargs):
        return _ops.quantile(self, *args, **kwargs)

    def nanquantile(self, *args, **kwargs):
        return _ops.nanquantile(self, *args, **kwargs)

    def isin(self, *args, **kwargs):
        return _ops.isin(self, *args, **kwargs)

    def renorm(self, *args, **kwargs):
        return _ops.renorm(self, *args, **kwargs)

    def rot90(self, *args, **kwargs):
        return _ops.rot90(self, *args, **kwargs)

    def diagflat(self, *args, **kwargs):
        return _ops.diagflat(self, *args, **kwargs)

    def adjoint(self, *args, **kwargs):
        return _ops.adjoint(self, *args, **kwargs)

    def heaviside(self, *args, **kwargs):
        return _ops.heaviside(self, *args, **kwargs)

    def frexp(self, *args, **kwargs):
        return _ops.frexp(self, *args, **kwargs)

    def ldexp(self, *args, **kwargs):
        return _ops.ldexp(self, *args, **kwargs)

    def nextafter(self, *args, **kwargs):
        return _ops.nextafter(self, *args, **kwargs)

    def mvlgamma(self, *args, **kwargs):
        return _ops.mvlgamma(self, *args, **kwargs)

    def igamma(self, *args, **kwargs):
        return _ops.igamma(self, *args, **kwargs)

    def igammac(self, *args, **kwargs):
        return _ops.igammac(self, *args, **kwargs)

    def addr(self, *args, **kwargs):
        return _ops.addr(self, *args, **kwargs)

    def cov(self, *args, **kwargs):
        return _ops.cov(self, *args, **kwargs)

    def corrcoef(self, *args, **kwargs):
        return _ops.corrcoef(self, *args, **kwargs)

    def narrow_copy(self, *args, **kwargs):
        return _ops.narrow_copy(self, *args, **kwargs)

    def is_nonzero(self, *args, **kwargs):
        return _ops.is_nonzero(self, *args, **kwargs)

    def i0(self, *args, **kwargs):
        return _ops.i0(self, *args, **kwargs)

    def gcd(self, *args, **kwargs):
        return _ops.gcd(self, *args, **kwargs)

    def lcm(self, *args, **kwargs):
        return _ops.lcm(self, *args, **kwargs)

    def logaddexp2(self, *args, **kwargs):
        return _ops.logaddexp2(self, *args, **kwargs)

    def is_same_size(self, *args, **kwargs):
        return _ops.is_same_size(self, *args, **kwargs)

    def is_conj(self, *args, **kwargs):
        return _ops.is_conj(self, *args, **kwargs)

    def resolve_conj(self, *args, **kwargs):
        return _ops.resolve_conj(self, *args, **kwargs)

    def resolve_neg(self, *args, **kwargs):
        return _ops.resolve_neg(self, *args, **kwargs)

    def conj_physical(self, *args, **kwargs):
        return _ops.conj_physical(self, *args, **kwargs)

    def renorm_(self, *args, **kwargs):
        return self._inplace(_ops.renorm(self, *args, **kwargs), "renorm_")

    def heaviside_(self, *args, **kwargs):
        return self._inplace(_ops.heaviside(self, *args, **kwargs), "heaviside_")

    def ldexp_(self, *args, **kwargs):
        return self._inplace(_ops.ldexp(self, *args, **kwargs), "ldexp_")

    def nextafter_(self, *args, **kwargs):
        return self._inplace(_ops.nextafter(self, *args, **kwargs), "nextafter_")

    def mvlgamma_(self, *args, **kwargs):
        return self._inplace(_ops.mvlgamma(self, *args, **kwargs), "mvlgamma_")

    def igamma_(self, *args, **kwargs):
        return self._inplace(_ops.igamma(self, *args, **kwargs), "igamma_")

    def igammac_(self, *args, **kwargs):
        return self._inplace(_ops.igammac(self, *args, **kwargs), "igammac_")

    def addr_(self, *args, **kwargs):
        return self._inplace(_ops.addr(self, *args, **kwargs), "addr_")

    def i0_(self, *args, **kwargs):
        return self._inplace(_ops.i0(self, *args, **kwargs), "i0_")

    def gcd_(self, *args, **kwargs):
        return self._inplace(_ops.gcd(self, *args, **kwargs), "gcd_")

    def lcm_(self, *args, **kwargs):
        return self._inplace(_ops.lcm(self, *args, **kwargs), "lcm_")

    def conj_physical_(self, *args, **kwargs):
        return self._inplace(_ops.conj_physical(self, *args, **kwargs), "conj_physical_")

    def sinc_(self, *args, **kwargs):
        return self._inplace(_ops.sinc(self, *args, **kwargs), "sinc_")

    def sgn_(self, *args, **kwargs):
        return self._inplace(_ops.sgn(self, *args, **kwargs), "sgn_")

    def polygamma_(self, n):
        return self._inplace(_ops.polygamma(n, self), "polygamma_")

    # -- in-place twins ---------------------------------------------------------

    def abs_(self, *args, **kwargs):
        return self._inplace(_ops.abs(self, *args, **kwargs), "abs_")

    def neg_(self, *args, **kwargs):
        return self._inplace(_ops.neg(self, *args, **kwargs), "neg_")

    def sign_(self, *args, **kwargs):
        return self._inplace(_ops.sign(self, *args, **kwargs), "sign_")

    def exp_(self, *args, **kwargs):
        return self._inplace(_ops.exp(self, *args, **kwargs), "exp_")

    def exp2_(self, *args, **kwargs):
        return self._inplace(_ops.exp2(self, *args, **kwargs), "exp2_")

    def expm1_(self, *args, **kwargs):
        return self._inplace(_ops.expm1(self, *args, **kwargs), "expm1_")

    def log_(self, *args, **kwargs):
        return self._inplace(_ops.log(self, *args, **kwargs), "log_")

    def log1p_(self, *args, **kwargs):
        return self._inplace(_ops.log1p(self, *args, **kwargs), "log1p_")

    def log2_(self, *args, **kwargs):
        return self._inplace(_ops.log2(self, *args, **kwargs), "log2_")

    def log10_(self, *args, **kwargs):
        return self._inplace(_ops.log10(self, *args, **kwargs), "log10_")

    def sqrt_(self, *args, **kwargs):
        return self._inplace(_ops.sqrt(self, *args, **kwargs), "sqrt_")

    def rsqrt_(self, *args, **kwargs):
        return self._inplace(_ops.rsqrt(self, *args, **kwargs), "rsqrt_")

    def square_(self, *args, **kwargs):
        return self._inplace(_ops.square(self, *args, **kwargs), "square_")

    def reciprocal_(self, *args, **kwargs):
        return self._inplace(_ops.reciprocal(self, *args, **kwargs), "reciprocal_")

    def sin_(self, *args, **kwargs):
        return self._inplace(_ops.sin(self, *args, **kwargs), "sin_")

    def cos_(self, *args, **kwargs):
        return self._inplace(_ops.cos(self, *args, **kwargs), "cos_")

    def tan_(self, *args, **kwargs):
        return self._inplace(_ops.tan(self, *args, **kwargs), "tan_")

    def asin_(self, *args, **kwargs):
        return self._inplace(_ops.asin(self, *args, **kwargs), "asin_")

    def acos_(self, *args, **kwargs):
        return self._inplace(_ops.acos(self, *args, **kwargs), "acos_")

    def atan_(self, *args, **kwargs):
        return self._inplace(_ops.atan(self, *args, **kwargs), "atan_")

    def sinh_(self, *args, **kwargs):
        return self._inplace(_ops.sinh(self, *args, **kwargs), "sinh_")

    def cosh_(self, *args, **kwargs):
        return self._inplace(_ops.cosh(self, *args, **kwargs), "cosh_")

    def tanh_(self, *args, **kwargs):
        return self._inplace(_ops.tanh(self, *args, **kwargs), "tanh_")

    def asinh_(self, *args, **kwargs):
        return self._inplace(_ops.asinh(self, *args, **kwargs), "asinh_")

    def acosh_(self, *args, **kwargs):
        return self._inplace(_ops.acosh(self, *args, **kwargs), "acosh_")

    def atanh_(self, *args, **kwargs):
        return self._inplace(_ops.atanh(self, *args, **kwargs), "atanh_")

    def sigmoid_(self, *args, **kwargs):
        return self._inplace(_ops.sigmoid(self, *args, **kwargs), "sigmoid_")

    def logit_(self, *args, **kwargs):
        return self._inplace(_ops.logit(self, *args, **kwargs), "logit_")

    def erf_(self, *args, **kwargs):
        return self._inplace(_ops.erf(self, *args, **kwargs), "erf_")

    def erfc_(self, *args, **kwargs):
        return self._inplace(_ops.erfc(self, *args, **kwargs), "erfc_")

    def erfinv_(self, *args, **kwargs):
        return self._inplace(_ops.erfinv(self, *args, **kwargs), "erfinv_")

    def relu_(self, *args, **kwargs):
        return self._inplace(_ops.relu(self, *args, **kwargs), "relu_")

    def floor_(self, *args, **kwargs):
        return self._inplace(_ops.floor(self, *args, **kwargs), "floor_")

    def ceil_(self, *args, **kwargs):
        return self._inplace(_ops.ceil(self, *args, **kwargs), "ceil_")

    def round_(self, *args, **kwargs):
        return self._inplace(_ops.round(self, *args, **kwargs), "round_")

    def trunc_(self, *args, **kwargs):
        return self._inplace(_ops.trunc(self, *args, **kwargs), "trunc_")

    def frac_(self, *args, **kwargs):
        return self._inplace(_ops.frac(self, *args, **kwargs), "frac_")

    def nan_to_num_(self, *args, **kwargs):
        return self._inplace(_ops.nan_to_num(self, *args, **kwargs), "nan_to_num_")

    def logical_not_(self, *args, **kwargs):
        return self._inplace(_ops.logical_not(self, *args, **kwargs), "logical_not_")

    def bitwise_not_(self, *args, **kwargs):
        return self._inplace(_ops.bitwise_not(self, *args, **kwargs), "bitwise_not_")

    def deg2rad_(self, *args, **kwargs):
        return self._inplace(_ops.deg2rad(self, *args, **kwargs), "deg2rad_")

    def rad2deg_(self, *args, **kwargs):
        return self._inplace(_ops.rad2deg(self, *args, **kwargs), "rad2deg_")

    def lgamma_(self, *args, **kwargs):
        return self._inplace(_ops.lgamma(self, *args, **kwargs), "lgamma_")

    def digamma_(self, *args, **kwargs):
        return self._inplace(_ops.digamma(self, *args, **kwargs), "digamma_")

    def clamp_(self, *args, **kwargs):
        return self._inplace(_ops.clamp(self, *args, **kwargs), "clamp_")

    def clip_(self, *args, **kwargs):
        return self._inplace(_ops.clip(self, *args, **kwargs), "clip_")

    def clamp_min_(self, *args, **kwargs):
        return self._inplace(_ops.clamp_min(self, *args, **kwargs), "clamp_min_")

    def clamp_max_(self, *args, **kwargs):
        return self._inplace(_ops.clamp_max(self, *args, **kwargs), "clamp_max_")

    def pow_(self, *args, **kwargs):
        return self._inplace(_ops.pow(self, *args, **kwargs), "pow_")

    def float_power_(self, *args, **kwargs):
        return self._inplace(_ops.float_power(self, *args, **kwargs), "float_power_")

    def add_(self, *args, **kwargs):
        return self._inplace(_ops.add(self, *args, **kwargs), "add_")

    def sub_(self, *args, **kwargs):
        return self._inplace(_ops.sub(self, *args, **kwargs), "sub_")

    def subtract_(self, *args, **kwargs):
        return self._inplace(_ops.subtract(self, *args, **kwargs), "subtract_")

    def mul_(self, *args, **kwargs):
        return self._inplace(_ops.mul(self, *args, **kwargs), "mul_")

    def multiply_(self, *args, **kwargs):
        return self._inplace(_ops.multiply(self, *args, **kwargs), "multiply_")

    def div_(self, *args, **kwargs):
        return self._inplace(_ops.div(self, *args, **kwargs), "div_")

    def divide_(self, *args, **kwargs):
        return self._inplace(_ops.divide(self, *args, **kwargs), "divide_")

    def true_divide_(self, *args, **kwargs):
        return self._inplace(_ops.true_divide(self, *args, **kwargs), "true_divide_")

    def floor_divide_(self, *args, **kwargs):
        return self._inplace(_ops.floor_divide(self, *args, **kwargs), "floor_divide_")

    def remainder_(self, *args, **kwargs):
        return self._inplace(_ops.remainder(self, *args, **kwargs), "remainder_")

    def fmod_(self, *args, **kwargs):
        return self._inplace(_ops.fmod(self, *args, **kwargs), "fmod_")

    def atan2_(self, *args, **kwargs):
        return self._inplace(_ops.atan2(self, *args, **kwargs), "atan2_")

    def lerp_(self, *args, **kwargs):
        return self._inplace(_ops.lerp(self, *args, **kwargs), "lerp_")

    def addcmul_(self, *args, **kwargs):
        return self._inplace(_ops.addcmul(self, *args, **kwargs), "addcmul_")

    def addcdiv_(self, *args, **kwargs):
        return self._inplace(_ops.addcdiv(self, *args, **kwargs), "addcdiv_")

    def hypot_(self, *args, **kwargs):
        return self._inplace(_ops.hypot(self, *args, **kwargs), "hypot_")

    def copysign_(self, *args, **kwargs):
        return self._inplace(_ops.copysign(self, *args, **kwargs), "copysign_")

    def xlogy_(self, *args, **kwargs):
        return self._inplace(_ops.xlogy(self, *args, **kwargs), "xlogy_")

    def logical_and_(self, *args, **kwargs):
        return self._inplace(_ops.logical_and(self, *args, **kwargs), "logical_and_")

    def logical_or_(self, *args, **kwargs):
        return self._inplace(_ops.logical_or(self, *args, **kwargs), "logical_or_")

    def logical_xor_(self, *args, **kwargs):
        return self._inplace(_ops.logical_xor(self, *args, **kwargs), "logical_xor_")

    def bitwise_and_(self, *args, **kwargs):
        return self._inplace(_ops.bitwise_and(self, *args, **kwargs), "bitwise_and_")

    def bitwise_or_(self, *args, **kwargs):
        return self._inplace(_ops.bitwise_or(self, *args, **kwargs), "bitwise_or_")

    def bitwise_xor_(self, *args, **kwargs):
        return self._inplace(_ops.bitwise_xor(self, *args, **kwargs), "bitwise_xor_")

    def bitwise_left_shift_(self, *args, **kwargs):
        return self._inplace(_ops.bitwise_left_shift(self, *args, **kwargs), "bitwise_left_shift_")

    def bitwise_right_shift_(self, *args, **kwargs):
        return self._inplace(_ops.bitwise_right_shift(self, *args, **kwargs), "bitwise_right_shift_")

    def eq_(self, *args, **kwargs):
        return self._inplace(_ops.eq(self, *args, **kwargs), "eq_")

    def ne_(self, *args, **kwargs):
        return self._inplace(_ops.ne(self, *args, **kwargs), "ne_")

    def lt_(self, *args, **kwargs):
        return self._inplace(_ops.lt(self, *args, **kwargs), "lt_")

    def le_(self, *args, **kwargs):
        return self._inplace(_ops.le(self, *args, **kwargs), "le_")

    def gt_(self, *args, **kwargs):
        return self._inplace(_ops.gt(self, *args, **kwargs), "gt_")

    def ge_(self, *args, **kwargs):
        return self._inplace(_ops.ge(self, *args, **kwargs), "ge_")

    def cumsum_(self, *args, **kwargs):
        return self._inplace(_ops.cumsum(self, *args, **kwargs), "cumsum_")

    def cumprod_(self, *args, **kwargs):
        return self._inplace(_ops.cumprod(self, *args, **kwargs), "cumprod_")

    def tril_(self, *args, **kwargs):
        return self._inplace(_ops.tril(self, *args, **kwargs), "tril_")

    def triu_(self, *args, **kwargs):
        return self._inplace(_ops.triu(self, *args, **kwargs), "triu_")

    def scatter_(self, *args, **kwargs):
        return self._inplace(_ops.scatter(self, *args, **kwargs), "scatter_")

    def scatter_add_(self, *args, **kwargs):
        return self._inplace(_ops.scatter_add(self, *args, **kwargs), "scatter_add_")

    def scatter_reduce_(self, *args, **kwargs):
        return self._inplace(_ops.scatter_reduce(self, *args, **kwargs), "scatter_reduce_")

    def masked_fill_(self, *args, **kwargs):
        return self._inplace(_ops.masked_fill(self, *args, **kwargs), "masked_fill_")

    def masked_scatter_(self, *args, **kwargs):
        return self._inplace(_ops.masked_scatter(self, *args, **kwargs), "masked_scatter_")

    def index_add_(self, *args, **kwargs):
        return self._inplace(_ops.index_add(self, *args, **kwargs), "index_add_")

    def index_copy_(self, *args, **kwargs):
        return self._inplace(_ops.index_copy(self, *args, **kwargs), "index_copy_")

    def index_fill_(self, *args, **kwargs):
        return self._inplace(_ops.index_fill(self, *args, **kwargs), "index_fill_")

    def index_put_(self, *args, **kwargs):
        return self._inplace(_ops.index_put(self, *args, **kwargs), "index_put_")

    def put(self, *args, **kwargs):
        return _ops.put(self, *args, **kwargs)

    def put_(self, *args, **kwargs):
        return self._inplace(_ops.put(self, *args, **kwargs), "put_")

    # -- in-place fills and resizes, implemented directly by dpt.ops ------------------

    def fill_(self, value):
        return _ops.fill_(self, value)

    def zero_(self):
        return _ops.zero_(self)

    def copy_(self, src, non_blocking=False):
        return _ops.copy_(self, src)

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        return _ops.uniform_(self, from_, to, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _ops.normal_(self, mean, std, generator=generator)

    def random_(self, *args, generator=None):
        return _ops.random_(self, *args, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return _ops.bernoulli_(self, p, generator=generator)

    def bernoulli(self, *, generator=None):
        return _ops.bernoulli(self, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _ops.multinomial(self, num_samples, replacement, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        return _ops.exponential_(self, lambd, generator=generator)

    def geometric_(self, p, *, generator=None):
        return _ops.geometric_(self, p, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return _ops.cauchy_(self, median, sigma, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return _ops.log_normal_(self, mean, std, generator=generator)

    def resize_(self, *sizes):
        return _ops.resize_(self, *sizes)

    def squeeze_(self, *args):
        return _ops.set_view_(self, _ops.squeeze(self, *args))

    def unsqueeze_(self, dim):
        return _ops.set_view_(self, _ops.unsqueeze(self, dim))

    def t_(self):
        return _ops.set_view_(self, _ops.t(self))

    def transpose_(self, dim0, dim1):
        return _ops.set_view_(self, _ops.transpose(self, dim0, dim1))
