"""mlopt.optim: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax,
NAdam, RAdam) and learning-rate schedulers
(mlopt.optim.lr_scheduler), as torch.optim."""

from . import lr_scheduler  # noqa: F401
from .optimizers import (SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam,  # noqa: F401
                         Optimizer, RAdam, RMSprop)
