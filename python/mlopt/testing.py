"""mlopt.testing: helpers for users' own tests."""

from ._autograd import gradcheck  # noqa: F401
