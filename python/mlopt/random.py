"""mlopt.random: torch.random's functions on mlopt's global generator."""

import contextlib

from ._config import get_rng_state, initial_seed, seed, set_rng_state  # noqa: F401
from ._tensor import manual_seed  # noqa: F401


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Random numbers drawn inside come from the global generator as usual;
    on exit its state is what it was on entry."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
