"""mlopt.utils.checkpoint: activation checkpointing's API, as
torch.utils.checkpoint. mlopt keeps the forward's intermediates (it does
not recompute them in backward), so checkpoint(fn, *args) is fn(*args):
the same results and gradients as PyTorch's, without its memory saving.
The PyTorch-only arguments (use_reentrant, context_fn, determinism_check,
debug, preserve_rng_state) are accepted and ignored."""

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    if use_reentrant is not False and kwargs:
        # PyTorch's reentrant variant takes no keyword arguments
        if use_reentrant:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Runs `functions` (a Sequential or a list of modules/functions) in
    order on input, as PyTorch's (which checkpoints all but the last of
    `segments` segments)."""
    unexpected = set(kwargs) - {"preserve_rng_state", "context_fn", "determinism_check",
                                "debug"}
    if unexpected:
        raise ValueError("Unexpected keyword arguments: " + ",".join(sorted(unexpected)))
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    for fn in functions:
        input = fn(input)
    return input
