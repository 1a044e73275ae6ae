"""mlopt.utils: data loading (mlopt.utils.data) and activation
checkpointing's API (mlopt.utils.checkpoint), as torch.utils."""

from . import checkpoint, data  # noqa: F401
