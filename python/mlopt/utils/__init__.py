"""mlopt.utils: data loading (mlopt.utils.data), as torch.utils."""

from . import data  # noqa: F401
