"""Optimizers with PyTorch's names, arguments and update rules (SGD, Adam,
AdamW): `step()` updates each parameter with a .grad in place, under
no_grad, in the parameter's own dtype and device."""

import math

from .. import _tensor as T
from .._autograd import no_grad


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}  # param -> its state (momentum, moments, step)
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, T.Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, T.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if p._node is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else T.zeros_like(p.grad)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from .._autograd import enable_grad
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad.detach(), group, self.state.setdefault(p, {}))
        return loss

    def _update(self, p, grad, group, state):
        raise NotImplementedError

    def state_dict(self):
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups
                                                 for p in g["params"])}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: dict(v) for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        params = [p for g in self.param_groups for p in g["params"]]
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(a["params"]) != len(b["params"]) for a, b in zip(groups, self.param_groups)):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             "or parameters")
        for group, saved in zip(self.param_groups, groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {params[i]: {k: (v.to(params[i].device) if isinstance(v, T.Tensor)
                                      else v) for k, v in s.items()}
                      for i, s in state_dict["state"].items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"Invalid SGD setting: lr={lr}, momentum={momentum}, "
                             f"weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, p, grad, group, state):
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.detach()
        if group["momentum"]:
            buf = state.get("momentum_buffer")
            # The first step's buffer is the gradient itself (no dampening).
            buf = g.clone() if buf is None else buf * group["momentum"] + \
                (1 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + group["momentum"] * buf if group["nesterov"] else buf
        p.sub_(group["lr"] * g)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        if lr < 0 or eps < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Invalid Adam setting: lr={lr}, betas={betas}, eps={eps}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    decoupled = False  # AdamW: weight decay on the parameter, not in the gradient

    def _update(self, p, grad, group, state):
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            if self.decoupled:
                p.mul_(1 - group["lr"] * group["weight_decay"])
            else:
                g = g + group["weight_decay"] * p.detach()
        if not state:
            state.update(step=0, exp_avg=T.zeros_like(p.detach()),
                         exp_avg_sq=T.zeros_like(p.detach()))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = T.zeros_like(p.detach())
        state["step"] += 1
        step = state["step"]
        state["exp_avg"] = state["exp_avg"] * beta1 + (1 - beta1) * g
        state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * (g * g)
        second = state["exp_avg_sq"]
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = T.maximum(state["max_exp_avg_sq"], second)
            second = state["max_exp_avg_sq"]
        # PyTorch's form: lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
        denom = T.sqrt(second) * (1 / math.sqrt(1 - beta2 ** step)) + group["eps"]
        p.sub_((group["lr"] / (1 - beta1 ** step)) * (state["exp_avg"] / denom))


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
