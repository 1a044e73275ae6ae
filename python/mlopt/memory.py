"""mlopt.memory: the host allocator's block cache.

Tensors of 4 KiB and more come from a cache of freed blocks, so repeated
calls reuse warm memory instead of faulting in fresh pages. The cache holds at
most `MLOPT_ALLOCATOR_CACHE_MB` (default: a quarter of RAM, at most 4 GiB;
0 turns caching off).
"""
from . import _C


def memory_stats():
    """Counters of the block cache: cached_bytes (free, held for reuse),
    live_bytes (blocks of 4 KiB and more in use), peak_bytes (the most
    live_bytes since reset_peak_memory_stats), hits, misses, limit_bytes."""
    return dict(_C.memory_stats())


def reset_peak_memory_stats():
    """Starts peak_bytes again from the bytes live now."""
    _C.reset_peak_memory_stats()


def max_memory_allocated():
    """peak_bytes, by PyTorch's name."""
    return _C.memory_stats()["peak_bytes"]


def empty_cache():
    """Returns every cached block to the system (like torch.cuda.empty_cache)."""
    _C.empty_cache()
