"""Rprop, ASGD and LBFGS with PyTorch's names, arguments, state keys and
update rules. Rprop and ASGD follow the Optimizer pattern (state made
before the first update, per-call numbers), so a compiled training step
runs them; LBFGS re-evaluates its closure and branches on the values, so
it runs eagerly (inside @mlopt.compile its step ends the trace)."""

import math

import numpy as np

from .. import _compile
from .. import _tensor as T
from .._autograd import enable_grad, no_grad
from .optimizers import Optimizer, _check, _grad_with_decay

__all__ = ["Rprop", "ASGD", "LBFGS"]


def _f32(x):
    """x rounded to float32, as PyTorch's 0-d state tensors of the default
    dtype hold it."""
    return float(np.float32(x))


class Rprop(Optimizer):
    """PyTorch's Rprop: each element's step size grows by etas[1] while its
    gradient keeps its sign and shrinks by etas[0] when it flips (then that
    element skips the step), clamped to step_sizes; p -= sign(g) step."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                                      maximize=maximize))

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, prev=T.zeros_like(p.detach()),
                         step_size=T.full_like(p.detach(), float(group["lr"])))

    def _update(self, p, grad, group, state, lr):
        etaminus, etaplus = group["etas"]
        low, high = group["step_sizes"]
        g = -grad if group["maximize"] else grad
        self._advance_step(state)
        prev, step_size = state["prev"], state["step_size"]
        sign = T.sign(g * prev)
        def const(v):  # (in p's dtype: a Python float in where would be float32)
            return T.full([], float(v), dtype=p.dtype, device=p.device)
        factor = T.where(T.gt(sign, 0), const(etaplus),
                         T.where(T.lt(sign, 0), const(etaminus), const(1.0)))
        step_size.copy_(T.clamp(step_size * factor, min=low, max=high))
        g = T.where(T.eq(factor, etaminus), T.zeros([], dtype=g.dtype), g)
        p.sub_(T.sign(g) * step_size)
        prev.copy_(g)


class ASGD(Optimizer):
    """PyTorch's averaged SGD: p = p (1 - lambd eta) - eta g, the average ax
    follows p with weight mu; after each step eta = lr / (1 + lambd lr
    step)^alpha and mu = 1 / max(1, step - t0) (kept float32-rounded, as
    PyTorch's 0-d state tensors)."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check("ASGD", lr=lr, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize))
        self._used = {}  # id(state) -> the (eta, mu) the current step uses

    def _init_state(self, p, group, state, tracer):
        if not state:
            state.update(step=0, eta=_f32(group["lr"]), mu=1.0, ax=T.zeros_like(p.detach()))
        for key in ("eta", "mu"):
            if isinstance(state[key], T.Tensor):  # PyTorch's state dicts
                state[key] = float(state[key].item())

    def _update(self, p, grad, group, state, lr):
        g = _grad_with_decay(p, grad, group)
        used = self._used

        def advance(s):
            used[id(s)] = (s["eta"], s["mu"])
            lr_now, lambd = group["lr"], group["lambd"]
            s["eta"] = _f32(lr_now / ((1 + lambd * lr_now * s["step"]) ** group["alpha"]))
            s["mu"] = _f32(1 / max(1, s["step"] - group["t0"]))
        self._advance_step(state, advance)

        def current(i):
            return lambda: used.get(id(state), (state["eta"], state["mu"]))[i]
        eta = self._number(("asgd_eta", id(state)), current(0), p)
        mu = self._number(("asgd_mu", id(state)), current(1), p)
        plain = self._number(("asgd_mu_is_1", id(state)),
                             lambda: float(current(1)() == 1.0), p)
        p.mul_(1 - group["lambd"] * eta)
        p.sub_(eta * g)
        ax = state["ax"]
        # ax = p when mu is 1 (PyTorch copies), else ax + (p - ax) mu
        ax.copy_(plain * p + (1 - plain) * (ax + (p - ax) * mu))


# ---- LBFGS ---------------------------------------------------------------------------------
def _dot(a, b):
    return float((a * b).sum().item())


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """PyTorch's strong-Wolfe line search (bracketing, then zoom by cubic
    interpolation)."""
    d_norm = float(T.abs(d).amax().item())
    g = g.clone()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.clone()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.clone()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.clone(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1],
                               bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.clone(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.clone(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """PyTorch's L-BFGS (one parameter group; step(closure) re-evaluates
    the loss up to max_eval times), with line_search_fn None (fixed steps
    of lr) or 'strong_wolfe'. The scalars it branches on are Python floats
    (float64) where PyTorch keeps 0-d tensors of the parameters' dtype."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None, *,
                 maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn,
                                      maximize=maximize))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        views = [T.zeros(p.numel(), dtype=p.dtype, device=p.device) if p.grad is None
                 else p.grad.detach().reshape(-1) for p in self._params]
        flat = T.cat(views, 0)
        return -flat if self.param_groups[0]["maximize"] else flat

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(update[offset:offset + n].reshape(*p.shape) * step_size)
            offset += n

    def _clone_param(self):
        return [p.detach().clone() for p in self._params]

    def _set_param(self, params_data):
        for p, data in zip(self._params, params_data):
            p.copy_(data)

    def _loss(self, closure):
        with enable_grad():
            loss = closure()
        return loss

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(self._loss(closure))
        if self.param_groups[0]["maximize"]:
            loss = -loss
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure):
        if _compile._active() is not None:
            raise _compile.GraphBreak("LBFGS.step() re-evaluates its closure and branches on "
                                      "the values: it runs eagerly")
        with no_grad():
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        maximize = group["maximize"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = self._loss(closure)
        loss = -float(orig_loss) if maximize else float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if float(T.abs(flat_grad).amax().item()) <= tolerance_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = _dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / _dot(y, y)
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = _dot(old_stps[i], q) * ro[i]
                    q = q - old_dirs[i] * al[i]
                d = r = q * h_diag
                for i in range(num_old):
                    be_i = _dot(old_dirs[i], r) * ro[i]
                    r = r + old_stps[i] * (al[i] - be_i)
                d = r
            prev_flat_grad = flat_grad.clone()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(T.abs(flat_grad).sum().item())) * lr
            else:
                t = lr
            gtd = _dot(flat_grad, d)
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = float(T.abs(flat_grad).amax().item()) <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = float(self._loss(closure))
                    loss = -loss if maximize else loss
                    flat_grad = self._gather_flat_grad()
                    opt_cond = float(T.abs(flat_grad).amax().item()) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(T.abs(d * t).amax().item()) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
