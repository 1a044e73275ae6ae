"""mlopt.optim: optimizers (SGD, Adam, AdamW, RMSprop) and learning-rate schedulers
(mlopt.optim.lr_scheduler), as torch.optim."""

from . import lr_scheduler  # noqa: F401
from .optimizers import SGD, Adam, AdamW, Optimizer, RMSprop  # noqa: F401
