"""mlopt.distributions: log_prob, entropy, cdf, moments and KL against
closed forms in NumPy float64 (and PyTorch's values where installed),
sample statistics over 20000 draws, rsample's gradients, shapes,
validate_args, and a policy-gradient step under @mlopt.compile."""
import math

import numpy as np
import pytest

import mlopt
from mlopt import distributions as D
from mlopt.testing import gradcheck

RNG = np.random.default_rng(7)
N = 20000


def t(a):
    return mlopt.tensor(np.asarray(a, dtype=np.float64))


def logsumexp(a, axis=-1):
    m = a.max(axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis, keepdims=True)))


# ---- Normal -----------------------------------------------------------------------------------
def test_normal_values():
    loc, scale = RNG.standard_normal(4), RNG.uniform(0.5, 2, 4)
    x = RNG.standard_normal((3, 4))
    d = D.Normal(t(loc), t(scale))
    assert tuple(d.batch_shape) == (4,) and tuple(d.event_shape) == ()
    want = -(x - loc) ** 2 / (2 * scale ** 2) - np.log(scale) - 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(d.log_prob(t(x)).numpy(), want, rtol=1e-13)
    np.testing.assert_allclose(d.entropy().numpy(), 0.5 + 0.5 * math.log(2 * math.pi)
                               + np.log(scale), rtol=1e-13)
    from math import erf
    np.testing.assert_allclose(d.cdf(t(x)).numpy(), 0.5 * (1 + np.vectorize(erf)(
        (x - loc) / (scale * math.sqrt(2)))), rtol=1e-12)
    np.testing.assert_array_equal(d.mean.numpy(), loc)
    np.testing.assert_array_equal(d.stddev.numpy(), scale)
    np.testing.assert_allclose(d.variance.numpy(), scale ** 2)
    scalar = D.Normal(0.0, 1.0)
    assert tuple(scalar.batch_shape) == () and tuple(scalar.sample((5,)).shape) == (5,)


def test_normal_sampling_statistics_and_rsample_gradients():
    mlopt.manual_seed(0)
    loc, scale = t([1.0, -2.0]).requires_grad_(), t([0.5, 3.0]).requires_grad_()
    d = D.Normal(loc, scale)
    x = d.rsample((N,))
    assert tuple(x.shape) == (N, 2) and x.requires_grad
    np.testing.assert_allclose(x.detach().numpy().mean(0), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(x.detach().numpy().var(0), [0.25, 9.0], rtol=0.05)
    x.sum().backward()  # d/dloc = N, d/dscale = sum of the standard draws
    np.testing.assert_allclose(loc.grad.numpy(), [N, N])
    eps = (x.detach().numpy() - [1.0, -2.0]) / [0.5, 3.0]
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-9)
    assert not d.sample((3,)).requires_grad
    gradcheck(lambda m, s: D.Normal(m, s).log_prob(t([0.3, -1.0])) + D.Normal(m, s).entropy(),
              [t([0.1, 0.2]), t([1.5, 0.7])])


# ---- Categorical ------------------------------------------------------------------------------
def test_categorical_values():
    logits = RNG.standard_normal((3, 5))
    logp = logits - logsumexp(logits)
    for d in (D.Categorical(logits=t(logits)), D.Categorical(probs=t(np.exp(logp) * 2.0))):
        assert tuple(d.batch_shape) == (3,) and tuple(d.event_shape) == ()
        np.testing.assert_allclose(d.probs.numpy(), np.exp(logp), rtol=1e-12)
        np.testing.assert_allclose(d.logits.numpy(), logp, rtol=1e-12, atol=1e-12)
        v = np.array([[0, 4, 2], [1, 1, 3]])
        np.testing.assert_allclose(d.log_prob(mlopt.tensor(v)).numpy(),
                                   np.take_along_axis(np.broadcast_to(logp, (2, 3, 5)),
                                                      v[..., None], -1)[..., 0], rtol=1e-12)
        np.testing.assert_allclose(d.entropy().numpy(), -(np.exp(logp) * logp).sum(-1),
                                   rtol=1e-12)
        np.testing.assert_array_equal(d.mode.numpy(), logits.argmax(-1))
        assert np.isnan(d.mean.numpy()).all()
    # a zero probability: entropy finite, log_prob log(eps) (probs clamped, as PyTorch)
    z = D.Categorical(probs=t([0.5, 0.0, 0.5]))
    assert z.entropy().item() == pytest.approx(math.log(2))
    assert z.log_prob(mlopt.tensor(1)).item() == pytest.approx(math.log(np.finfo(float).eps))
    assert z.enumerate_support().tolist() == [0, 1, 2]


def test_categorical_sampling_statistics_and_gradients():
    mlopt.manual_seed(1)
    probs = np.array([[0.1, 0.6, 0.3], [0.25, 0.25, 0.5]])
    d = D.Categorical(probs=t(probs))
    s = d.sample((N,))
    assert tuple(s.shape) == (N, 2) and s.dtype == mlopt.int64
    freq = np.stack([(s.numpy() == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, probs, atol=0.015)
    zero = D.Categorical(probs=t([0.3, 0.0, 0.7])).sample((2000,)).numpy()
    assert not (zero == 1).any()
    gradcheck(lambda lg: D.Categorical(logits=lg).log_prob(mlopt.tensor([2, 0]))
              + D.Categorical(logits=lg).entropy(), [t(RNG.standard_normal((2, 3)))])


def test_policy_gradient_step_compiles():
    """Categorical(logits=...).sample/log_prob/entropy in a compiled loss."""
    mlopt.manual_seed(2)
    policy = mlopt.nn.Linear(4, 3).double()
    obs = t(RNG.standard_normal((8, 4)))

    def loss_fn(o):
        dist = D.Categorical(logits=policy(o))
        actions = dist.sample()
        return -(dist.log_prob(actions) * 1.5).mean() - 0.01 * dist.entropy().mean()
    compiled = mlopt.compile(loss_fn)
    for _ in range(3):
        loss = compiled(obs)
        loss.backward()
        assert math.isfinite(loss.item())
    assert policy.weight.grad is not None
    assert not compiled.reasons, compiled.reasons  # (traced: no host reads)


# ---- Bernoulli, Uniform ------------------------------------------------------------------------
def test_bernoulli():
    p = np.array([0.2, 0.5, 0.9])
    x = np.array([1.0, 0.0, 1.0])
    for d in (D.Bernoulli(probs=t(p)), D.Bernoulli(logits=t(np.log(p / (1 - p))))):
        np.testing.assert_allclose(d.log_prob(t(x)).numpy(),
                                   x * np.log(p) + (1 - x) * np.log(1 - p), rtol=1e-12)
        np.testing.assert_allclose(d.entropy().numpy(),
                                   -(p * np.log(p) + (1 - p) * np.log(1 - p)), rtol=1e-12)
        np.testing.assert_allclose(d.variance.numpy(), p * (1 - p), rtol=1e-12)
    mlopt.manual_seed(3)
    s = D.Bernoulli(probs=t(p)).sample((N,)).numpy()
    np.testing.assert_allclose(s.mean(0), p, atol=0.015)
    assert set(np.unique(s)) <= {0.0, 1.0}


def test_uniform():
    d = D.Uniform(t([0.0, -1.0]), t([2.0, 3.0]))
    np.testing.assert_allclose(d.log_prob(t([1.0, 2.5])).numpy(), [-math.log(2), -math.log(4)])
    np.testing.assert_allclose(d.entropy().numpy(), [math.log(2), math.log(4)])
    np.testing.assert_allclose(d.cdf(t([0.5, 0.0])).numpy(), [0.25, 0.25])
    np.testing.assert_allclose(d.variance.numpy(), [4 / 12, 16 / 12])
    mlopt.manual_seed(4)
    s = d.sample((N,)).numpy()
    np.testing.assert_allclose(s.mean(0), [1.0, 1.0], atol=0.05)
    np.testing.assert_allclose(s.var(0), [1 / 3, 4 / 3], rtol=0.05)
    assert (s[:, 0] >= 0).all() and (s[:, 0] < 2).all()
    with pytest.raises(ValueError, match="low>= high"):
        D.Uniform(1.0, 0.5)


# ---- MultivariateNormal, Independent -------------------------------------------------------------
def _spd(n):
    a = RNG.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def _mvn_logpdf(x, mu, cov):
    n = len(mu)
    diff = x - mu
    return -0.5 * (n * math.log(2 * math.pi) + np.linalg.slogdet(cov)[1]
                   + np.einsum("...i,ij,...j->...", diff, np.linalg.inv(cov), diff))


def test_multivariate_normal():
    cov, mu = _spd(3), RNG.standard_normal(3)
    x = RNG.standard_normal((4, 3))
    chol = np.linalg.cholesky(cov)
    for d in (D.MultivariateNormal(t(mu), covariance_matrix=t(cov)),
              D.MultivariateNormal(t(mu), scale_tril=t(chol)),
              D.MultivariateNormal(t(mu), precision_matrix=t(np.linalg.inv(cov)))):
        assert tuple(d.batch_shape) == () and tuple(d.event_shape) == (3,)
        np.testing.assert_allclose(d.scale_tril.numpy(), chol, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(d.log_prob(t(x)).numpy(), _mvn_logpdf(x, mu, cov),
                                   rtol=1e-11)
        np.testing.assert_allclose(d.entropy().item(), 0.5 * (3 * (1 + math.log(2 * math.pi))
                                   + np.linalg.slogdet(cov)[1]), rtol=1e-12)
        np.testing.assert_allclose(d.covariance_matrix.numpy(), cov, rtol=1e-10)
        np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(cov), rtol=1e-9,
                                   atol=1e-12)
        np.testing.assert_allclose(d.variance.numpy(), np.diag(cov), rtol=1e-10)
    mlopt.manual_seed(5)
    s = D.MultivariateNormal(t(mu), covariance_matrix=t(cov)).rsample((N,)).numpy()
    np.testing.assert_allclose(s.mean(0), mu, atol=0.1)
    np.testing.assert_allclose(np.cov(s.T), cov, rtol=0.06, atol=0.1)
    gradcheck(lambda m, c: D.MultivariateNormal(m, covariance_matrix=c).log_prob(t(x[0])),
              [t(mu), t(cov)])
    batched = D.MultivariateNormal(t(np.zeros((2, 3))), scale_tril=t(chol))
    assert tuple(batched.batch_shape) == (2,) and tuple(batched.sample((4,)).shape) == (4, 2, 3)


def test_independent():
    loc, scale = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 1.5, (2, 3))
    base = D.Normal(t(loc), t(scale))
    d = D.Independent(base, 1)
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3,)
    x = t(RNG.standard_normal((2, 3)))
    np.testing.assert_allclose(d.log_prob(x).numpy(), base.log_prob(x).numpy().sum(-1),
                               rtol=1e-13)
    np.testing.assert_allclose(d.entropy().numpy(), base.entropy().numpy().sum(-1), rtol=1e-13)
    assert d.has_rsample and tuple(d.rsample((5,)).shape) == (5, 2, 3)
    q = D.Independent(D.Normal(t(loc + 1), t(scale * 2)), 1)
    np.testing.assert_allclose(D.kl_divergence(d, q).numpy(),
                               D.kl_divergence(base, q.base_dist).numpy().sum(-1), rtol=1e-13)


# ---- KL -----------------------------------------------------------------------------------------
def test_kl_divergences():
    m1, s1, m2, s2 = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3), RNG.standard_normal(3), \
        RNG.uniform(0.5, 2, 3)
    want = np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5
    np.testing.assert_allclose(D.kl_divergence(D.Normal(t(m1), t(s1)),
                                               D.Normal(t(m2), t(s2))).numpy(), want, rtol=1e-12)
    p, q = RNG.dirichlet(np.ones(4), 2), RNG.dirichlet(np.ones(4), 2)
    np.testing.assert_allclose(D.kl_divergence(D.Categorical(probs=t(p)),
                                               D.Categorical(probs=t(q))).numpy(),
                               (p * np.log(p / q)).sum(-1), rtol=1e-12)
    zero = D.kl_divergence(D.Categorical(probs=t([0.5, 0.5, 0.0])),
                           D.Categorical(probs=t([0.25, 0.25, 0.5]))).item()
    assert zero == pytest.approx(math.log(2))
    assert D.kl_divergence(D.Categorical(probs=t([0.5, 0.5])),
                           D.Categorical(probs=t([1.0, 0.0]))).item() == math.inf
    cov1, cov2 = _spd(3), _spd(3)
    mu1, mu2 = RNG.standard_normal(3), RNG.standard_normal(3)
    inv2 = np.linalg.inv(cov2)
    want = 0.5 * (np.trace(inv2 @ cov1) + (mu2 - mu1) @ inv2 @ (mu2 - mu1) - 3
                  + np.linalg.slogdet(cov2)[1] - np.linalg.slogdet(cov1)[1])
    got = D.kl_divergence(D.MultivariateNormal(t(mu1), covariance_matrix=t(cov1)),
                          D.MultivariateNormal(t(mu2), covariance_matrix=t(cov2))).item()
    assert got == pytest.approx(want, rel=1e-11)
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Uniform(0.0, 1.0))


# ---- validation ----------------------------------------------------------------------------------
def test_validate_args():
    with pytest.raises(ValueError, match="scale"):
        D.Normal(t([0.0]), t([-1.0]))
    D.Normal(t([0.0]), t([-1.0]), validate_args=False)  # not checked
    with pytest.raises(ValueError, match="probs"):
        D.Categorical(probs=t([0.5, -0.1, 0.6]))
    with pytest.raises(ValueError, match="support"):
        D.Categorical(logits=t([0.0, 1.0])).log_prob(mlopt.tensor(2))
    with pytest.raises(ValueError, match="support"):
        D.Bernoulli(probs=t([0.3])).log_prob(t([0.5]))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="covariance_matrix"):
        D.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="broadcastable"):
        D.Normal(t(np.zeros(3)), t(np.ones(3))).log_prob(t(np.zeros(4)))
    d = D.Normal(t(np.zeros(3)), t(np.ones(3))).expand((2, 3))
    assert tuple(d.batch_shape) == (2, 3) and tuple(d.sample().shape) == (2, 3)


# ---- against PyTorch ----------------------------------------------------------------------------
def test_values_match_pytorch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    T = torch.tensor
    loc, scale, x = RNG.standard_normal(4), RNG.uniform(0.5, 2, 4), RNG.standard_normal((2, 4))
    logits, v = RNG.standard_normal((3, 5)), np.array([[0, 4, 2], [1, 1, 3]])
    p, bx = RNG.uniform(0.05, 0.95, 4), np.array([1.0, 0.0, 1.0, 0.0])
    cov, mu = _spd(3), RNG.standard_normal(3)
    cov2, mu2 = _spd(3), RNG.standard_normal(3)
    pairs = [
        (td.Normal(T(loc), T(scale)), D.Normal(t(loc), t(scale)), x),
        (td.Categorical(logits=T(logits)), D.Categorical(logits=t(logits)), v),
        (td.Categorical(probs=T(np.exp(logits))), D.Categorical(probs=t(np.exp(logits))), v),
        (td.Bernoulli(probs=T(p)), D.Bernoulli(probs=t(p)), bx),
        (td.Bernoulli(logits=T(logits[0, :4])), D.Bernoulli(logits=t(logits[0, :4])), bx),
        (td.Uniform(T(-scale), T(scale)), D.Uniform(t(-scale), t(scale)), x * 0.2),
        (td.MultivariateNormal(T(mu), covariance_matrix=T(cov)),
         D.MultivariateNormal(t(mu), covariance_matrix=t(cov)), x[:, :3]),
        (td.Independent(td.Normal(T(loc), T(scale)), 1),
         D.Independent(D.Normal(t(loc), t(scale)), 1), x),
    ]
    for theirs, ours, value in pairs:
        assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
        assert tuple(ours.event_shape) == tuple(theirs.event_shape)
        np.testing.assert_allclose(ours.log_prob(mlopt.tensor(value)).numpy(),
                                   theirs.log_prob(T(value)).numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ours.entropy().numpy(), theirs.entropy().numpy(),
                                   rtol=1e-12, atol=1e-14)
        if not isinstance(ours, D.Categorical):
            np.testing.assert_allclose(ours.mean.numpy(), theirs.mean.numpy(), rtol=1e-12)
            np.testing.assert_allclose(ours.variance.numpy(), theirs.variance.numpy(),
                                       rtol=1e-12)
    kl_pairs = [
        ((td.Normal(T(loc), T(scale)), td.Normal(T(x[0]), T(scale[::-1].copy()))),
         (D.Normal(t(loc), t(scale)), D.Normal(t(x[0]), t(scale[::-1].copy())))),
        ((td.Categorical(logits=T(logits)), td.Categorical(logits=T(logits[::-1].copy()))),
         (D.Categorical(logits=t(logits)), D.Categorical(logits=t(logits[::-1].copy())))),
        ((td.Bernoulli(probs=T(p)), td.Bernoulli(probs=T(p[::-1].copy()))),
         (D.Bernoulli(probs=t(p)), D.Bernoulli(probs=t(p[::-1].copy())))),
        ((td.MultivariateNormal(T(mu), covariance_matrix=T(cov)),
          td.MultivariateNormal(T(mu2), covariance_matrix=T(cov2))),
         (D.MultivariateNormal(t(mu), covariance_matrix=t(cov)),
          D.MultivariateNormal(t(mu2), covariance_matrix=t(cov2)))),
    ]
    for (tp, tq), (op, oq) in kl_pairs:
        np.testing.assert_allclose(D.kl_divergence(op, oq).numpy(),
                                   td.kl_divergence(tp, tq).numpy(), rtol=1e-11, atol=1e-14)


def test_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    loc, scale, x = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3), RNG.standard_normal(3)
    logits = RNG.standard_normal((2, 4))
    grads = []
    for lib, dist in ((torch, td), (mlopt, D)):
        m = lib.tensor(loc, requires_grad=True)
        s = lib.tensor(scale, requires_grad=True)
        lg = lib.tensor(logits, requires_grad=True)
        n = dist.Normal(m, s)
        c = dist.Categorical(logits=lg)
        total = n.log_prob(lib.tensor(x)).sum() + n.entropy().sum() + \
            c.log_prob(lib.tensor(np.array([3, 1]))).sum() + c.entropy().sum() + \
            dist.kl_divergence(c, dist.Categorical(logits=lib.tensor(logits[::-1].copy()))).sum()
        total.backward()
        grads.append([m.grad.numpy(), s.grad.numpy(), lg.grad.numpy()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_multivariate_normal_covariance_gradient_is_symmetric():
    """Only the covariance's symmetric part counts, so its gradient is
    symmetric (PyTorch's); d/dC log N(x; 0, C) = (C^-1 x x^T C^-1 - C^-1) / 2."""
    c = mlopt.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=mlopt.float64, requires_grad=True)
    x = np.array([1.0, -1.0])
    d = mlopt.distributions.MultivariateNormal(mlopt.zeros(2, dtype=mlopt.float64),
                                               covariance_matrix=c)
    d.log_prob(mlopt.tensor(x)).backward()
    inv = np.linalg.inv(c.detach().numpy())
    want = 0.5 * (inv @ np.outer(x, x) @ inv - inv)
    np.testing.assert_allclose(c.grad.numpy(), want, rtol=1e-10)
    traced = mlopt.compile(lambda cov: mlopt.distributions.MultivariateNormal(
        mlopt.zeros(2, dtype=mlopt.float64), covariance_matrix=cov).log_prob(mlopt.tensor(x)))
    c2 = c.detach().requires_grad_()
    traced(c2).backward()
    np.testing.assert_allclose(c2.grad.numpy(), want, rtol=1e-10)
