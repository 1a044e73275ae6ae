"""More layers with PyTorch's arguments, defaults, parameter names and
init: Conv3d, ConvTranspose1d, EmbeddingBag, Unfold, Fold,
LocalResponseNorm, UpsamplingNearest2d, UpsamplingBilinear2d, LazyLinear,
RMSNorm, RReLU, MultiMarginLoss. Each calls its mlopt.nn.functional form."""

import math

from .. import _tensor as T
from .._autograd import no_grad
from . import functional as F
from .modules import Linear, Module, Parameter, Upsample, _Loss, _uniform

__all__ = ["Conv3d", "ConvTranspose1d", "EmbeddingBag", "Unfold", "Fold", "LocalResponseNorm",
           "UpsamplingNearest2d", "UpsamplingBilinear2d", "LazyLinear", "RMSNorm", "RReLU",
           "MultiMarginLoss"]


def _ntuple(v, n):
    if isinstance(v, (tuple, list)):
        return tuple(v) if len(v) != 1 else tuple(v) * n
    return (v,) * n


def _conv_setup(module, in_channels, out_channels, kernel_size, groups, bias, padding_mode,
                transposed, dims, device, dtype):
    name = type(module).__name__
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups:
        raise ValueError("out_channels must be divisible by groups")
    if padding_mode != "zeros":
        raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} (only 'zeros')")
    kernel = _ntuple(kernel_size, dims)
    module.in_channels, module.out_channels, module.kernel_size = in_channels, out_channels, \
        kernel
    module.groups, module.padding_mode, module.transposed = groups, padding_mode, transposed
    first, second = (in_channels, out_channels) if transposed else (out_channels, in_channels)
    fan_in = second // groups * math.prod(kernel)
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    module.weight = _uniform((first, second // groups) + kernel, bound, device, dtype)
    if bias:
        module.bias = _uniform((out_channels,), bound, device, dtype)
    else:
        module.register_parameter("bias", None)


class Conv3d(Module):
    """weight (out, in / groups, kD, kH, kW), U(+-1/sqrt(fan_in)) as PyTorch's."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        _conv_setup(self, in_channels, out_channels, kernel_size, groups, bias, padding_mode,
                    False, 3, device, dtype)
        self.stride, self.dilation = _ntuple(stride, 3), _ntuple(dilation, 3)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, 3)
        self.output_padding = (0, 0, 0)

    def forward(self, input):
        return F.conv3d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")


class ConvTranspose1d(Module):
    """weight (in, out / groups, k), as PyTorch's."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__()
        _conv_setup(self, in_channels, out_channels, kernel_size, groups, bias, padding_mode,
                    True, 1, device, dtype)
        self.stride, self.padding = _ntuple(stride, 1), _ntuple(padding, 1)
        self.output_padding, self.dilation = _ntuple(output_padding, 1), _ntuple(dilation, 1)

    def forward(self, input, output_size=None):
        output_padding = self.output_padding
        if output_size is not None:  # PyTorch's: the output_padding that gives output_size
            length = output_size[-1]
            base = (input.shape[-1] - 1) * self.stride[0] - 2 * self.padding[0] + \
                self.dilation[0] * (self.kernel_size[0] - 1) + 1
            if not base <= length < base + max(self.stride[0], self.dilation[0]):
                raise ValueError(f"requested an output size of {list(output_size)}, but valid "
                                 f"sizes range from [{base}] to "
                                 f"[{base + self.stride[0] - 1}]")
            output_padding = (length - base,)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  output_padding, self.groups, self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")


class EmbeddingBag(Module):
    """weight (num_embeddings, embedding_dim) ~ N(0, 1) (the padding_idx row
    zero), mode 'sum', 'mean' (default) or 'max', as PyTorch's."""

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset = include_last_offset
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("padding_idx must be within num_embeddings")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        if _weight is None:
            with no_grad():
                weight = T.randn(num_embeddings, embedding_dim, dtype=dtype, device=device)
                if padding_idx is not None:
                    weight[padding_idx] = 0.0
            self.weight = Parameter(weight)
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                  embeddings.detach().clone(), include_last_offset, padding_idx)
        bag.weight.requires_grad_(not freeze)
        return bag

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


class Unfold(Module):
    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = \
            kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size, self.dilation, self.padding, self.stride = \
            output_size, kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class LocalResponseNorm(Module):
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear with align_corners=True, as PyTorch's."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class LazyLinear(Linear):
    """A Linear whose in_features comes from the first input: until then it
    has no weight or bias (PyTorch's UninitializedParameter; an optimizer
    must be made after the first forward), then PyTorch's Linear init."""

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self._lazy = (bias, device, dtype)
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)

    def has_uninitialized_params(self):
        return self._lazy is not None

    def initialize_parameters(self, input):
        if self._lazy is None:
            return
        bias, device, dtype = self._lazy
        self.in_features = input.shape[-1]
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        self.weight = _uniform((self.out_features, self.in_features), bound,
                               device or input.device, dtype or input.dtype)
        if bias:
            self.bias = _uniform((self.out_features,), bound, device or input.device,
                                 dtype or input.dtype)
        self._lazy = None

    def forward(self, input):
        self.initialize_parameters(input)
        return F.linear(input, self.weight, self.bias)

    def load_state_dict(self, state_dict, strict=True):
        """Initializes from the saved weight's shape first (a LazyLinear
        inside another module loads once a forward has initialized it)."""
        weight = state_dict.get("weight")
        if self._lazy is not None and weight is not None:
            self.initialize_parameters(T.empty(1, weight.shape[-1], dtype=weight.dtype))
        return super().load_state_dict(state_dict, strict)


class RMSNorm(Module):
    """x / sqrt(mean(x^2 over normalized_shape) + eps) * weight; eps None is
    finfo(input dtype).eps (PyTorch's)."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
            tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(T.ones(*shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.weight is not None:
            with no_grad():
                self.weight.fill_(1.0)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class RReLU(Module):
    """Randomized leaky ReLU: in training a slope from U(lower, upper) per
    negative element, in eval (lower + upper) / 2."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                            else "")


class MultiMarginLoss(_Loss):
    """The multi-class hinge loss (p = 1 or 2) with an optional class weight
    (a buffer, as PyTorch's _WeightedLoss)."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError("weight must be one-dimensional")
        self.register_buffer("weight", weight)
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)
