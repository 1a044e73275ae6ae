"""mlopt.distributions: probability distributions, as torch.distributions:
Normal, Categorical (probs or logits), Bernoulli, Uniform,
MultivariateNormal (scale_tril, covariance_matrix or precision_matrix) and
Independent, with sample, rsample (reparameterized, differentiable),
log_prob, entropy, cdf, mean, mode, variance, stddev, batch_shape and
event_shape, expand, validate_args checks; kl_divergence and register_kl.
Draws come from mlopt's generator (manual_seed), not PyTorch's stream."""

from . import constraints  # noqa: F401
from .distributions import (Bernoulli, Categorical, Distribution,  # noqa: F401
                            ExponentialFamily, Independent, MultivariateNormal, Normal,
                            Uniform)
from .kl import kl_divergence, register_kl  # noqa: F401

__all__ = ["Bernoulli", "Categorical", "Distribution", "ExponentialFamily", "Independent",
           "MultivariateNormal", "Normal", "Uniform", "constraints", "kl_divergence",
           "register_kl"]
