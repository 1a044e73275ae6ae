"""mlopt.memory: the host allocator's block cache.

Tensors of 256 KiB and more come from a cache of freed blocks, so repeated
calls reuse warm memory instead of faulting in fresh pages. The cache holds at
most `MLOPT_ALLOCATOR_CACHE_MB` (default: a quarter of RAM, at most 4 GiB;
0 turns caching off).
"""
from . import _C


def memory_stats():
    """Counters of the block cache: cached_bytes (free, held for reuse),
    live_bytes (large blocks in use), hits, misses, limit_bytes."""
    return dict(_C.memory_stats())


def empty_cache():
    """Returns every cached block to the system (like torch.cuda.empty_cache)."""
    _C.empty_cache()
