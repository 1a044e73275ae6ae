"""mlopt.optim: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax,
NAdam, RAdam, Rprop, ASGD, LBFGS), learning-rate schedulers
(mlopt.optim.lr_scheduler) and stochastic weight averaging
(mlopt.optim.swa_utils), as torch.optim."""

from . import lr_scheduler, swa_utils  # noqa: F401
from ._more_optimizers import ASGD, LBFGS, Rprop  # noqa: F401
from .optimizers import (SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam,  # noqa: F401
                         Optimizer, RAdam, RMSprop)
