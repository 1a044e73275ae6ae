"""mlopt: a PyTorch-style tensor library whose core is a JIT-compiling graph
tracer and kernel-fusion compiler on MLIR and LLVM.

Tensors run eagerly: each op runs one kernel compiled by the same code
generator as `@mlopt.compile` (cached in memory and on disk).
"""

from . import _C
from ._dtype import (bfloat16, bool_ as bool, float16, float32, float64,  # noqa: F401
                     get_default_dtype, int32, int64, promote_types, set_default_dtype)
from ._dtype import dtype  # noqa: F401
from ._dtype import result_type as _result_type
from ._tensor import (Generator, Size, Tensor, device, broadcast_shapes,  # noqa: F401
                      abs, add, all, amax, amin, any, arange, argmax, argmin, as_tensor,
                      atan2, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, bmm, cat, ceil, clamp, clip, concat, concatenate, cos, div,
                      divide, empty, empty_like, eq, erf, exp, expm1, floor, floor_divide,
                      from_dlpack, from_numpy, full, full_like, ge, greater, greater_equal,
                      gt, is_tensor, isfinite, isinf, isnan, le, less, less_equal, linspace,
                      log, log1p, logical_and, logical_not, logical_or, logical_xor,
                      logsumexp, lt, manual_seed, matmul, max, maximum, mean, min, minimum,
                      mm, mul, ne, neg, negative, not_equal, numel, ones, ones_like, pow,
                      prod, rand, rand_like, randint, randn, randn_like, reciprocal,
                      remainder, round, rsqrt, sigmoid, sign, sin, sqrt, square, stack, std,
                      sub, sum, tanh, tensor, true_divide, trunc, var, where, zeros,
                      zeros_like)
from . import _indexing  # noqa: F401  (installs Tensor.__getitem__ helpers)
from ._composites import (addcdiv, addcmul, allclose, bernoulli, chunk,  # noqa: F401
                          count_nonzero, cumsum, diag, dist, einsum, equal, eye, flip, frac,
                          gather, index_add, index_select, isclose, lerp, masked_fill, meshgrid,
                          movedim, nan_to_num, narrow, norm, normal, outer, randperm,
                          repeat_interleave, reshape, roll, scatter_add, split, std_mean, tile,
                          tril, triu, unbind, unflatten, var_mean)
moveaxis = movedim
from ._data_dependent import (argsort, argwhere, masked_select, multinomial,  # noqa: F401
                              nonzero, sort, topk, unique)
from ._tensor import (BFloat16Tensor, BoolTensor, DoubleTensor, FloatTensor,  # noqa: F401
                      HalfTensor, IntTensor, LongTensor)
from . import cuda  # noqa: F401
from . import amp  # noqa: F401
from .amp import autocast, get_autocast_dtype, is_autocast_enabled  # noqa: F401
from . import memory  # noqa: F401
from ._compile import compile, explain  # noqa: F401
from ._autograd import (enable_grad, grad, is_grad_enabled, no_grad,  # noqa: F401
                        set_grad_enabled, value_and_grad, vjp)
from . import testing  # noqa: F401
from . import autograd  # noqa: F401
from . import nn  # noqa: F401
from . import optim  # noqa: F401
from . import utils  # noqa: F401
from .serialization import load, save  # noqa: F401
from ._more_ops import (absolute, acos, acosh, addbmm, addmm, addmv, addr,  # noqa: F401
                        aminmax, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
                        asin, asinh, atan, atanh, atleast_1d, atleast_2d, atleast_3d,
                        baddbmm, bincount, broadcast_tensors, bucketize, cdist,
                        column_stack, copysign, cosh, cross, cummax, cummin, cumprod,
                        deg2rad, diag_embed, diagonal, diff, digamma, dot, dsplit, dstack,
                        erfinv, exp2, float_power, fmod, hsplit, hstack, hypot, index_fill,
                        inner, kron, lgamma, log10, log2, logaddexp, logaddexp2,
                        logcumsumexp, logit, logspace, masked_scatter, median, mv, nanmean,
                        nanmedian, nanquantile, nansum, quantile, rad2deg, randint_like,
                        rot90, row_stack, scatter, scatter_reduce, searchsorted, select,
                        signbit, sinc, sinh, take, take_along_dim, tan, tensor_split,
                        tensordot, trace, tril_indices, triu_indices, vdot, vsplit, vstack,
                        xlogy)
from ._more_ops import (block_diag, cartesian_prod, corrcoef, cov, erfc, fliplr,  # noqa: F401
                        flipud, histc, index_copy, isin, kthvalue, mode, pdist)
from ._composites import clamp_max, clamp_min  # noqa: F401
from ._format import set_printoptions  # noqa: F401
from .nn.functional import cosine_similarity, pairwise_distance  # noqa: F401
from ._config import (are_deterministic_algorithms_enabled,  # noqa: F401
                      get_float32_matmul_precision, get_num_interop_threads, get_num_threads,
                      get_rng_state, initial_seed, is_deterministic_algorithms_warn_only_enabled,
                      seed, set_float32_matmul_precision, set_num_interop_threads,
                      set_num_threads, set_rng_state, use_deterministic_algorithms)
from . import backends, linalg, random  # noqa: F401
from .linalg import det, inverse, logdet, matrix_power, pinverse, slogdet  # noqa: F401
from .linalg import _legacy_svd as svd  # noqa: F401

float = float32
double = float64
half = float16
long = int64
int = int32


def result_type(a, b):
    return _result_type(a, b)


def is_floating_point(t):
    return t.dtype.is_floating_point


# Functions PyTorch also has as Tensor methods: the methods, called on the input.
def _method(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    return fn


flatten, squeeze, unsqueeze, transpose, t, clone, permute = map(
    _method, ["flatten", "squeeze", "unsqueeze", "transpose", "t", "clone", "permute"])
swapaxes = swapdims = transpose
softmax, log_softmax, relu = map(_method, ["softmax", "log_softmax", "relu"])


def broadcast_to(input, size):
    return input.expand(*size)


def inference_mode(mode=True):
    """no_grad (mlopt has no separate inference tensors)."""
    return no_grad() if mode else enable_grad()


__version__ = "0.1.0"
from . import distributions  # noqa: E402,F401
