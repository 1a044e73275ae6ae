"""Process-wide settings as torch names them: thread counts, the random
generator's state, deterministic algorithms and float32 matmul precision.

Threads: `set_num_threads(n)` sets the OpenMP threads of compiled loops on
the calling thread and OpenBLAS's (process-wide), and MLOPT_NUM_THREADS for
threads that have not run mlopt code yet. Random state: mlopt draws from a
NumPy PCG64 generator (`manual_seed`); `get_rng_state()` is its state as an
int64 tensor and `set_rng_state` puts it back, so the same numbers follow.
"""

import ctypes
import os

import numpy as np

from . import _C
from . import _tensor as T

# ---- threads --------------------------------------------------------------------

_libraries = None
_interop_threads = None


def _thread_libraries():
    """libomp and OpenBLAS as the extension loaded them (no new load)."""
    global _libraries
    if _libraries is None:
        found = []
        for names in (("libomp.so.5", "libomp.so"), ("libopenblas.so.0", "libopenblas.so")):
            lib = None
            for name in names:
                try:
                    lib = ctypes.CDLL(name, mode=os.RTLD_NOLOAD | os.RTLD_NOW)
                    break
                except OSError:
                    continue
            found.append(lib)
        _libraries = tuple(found)
    return _libraries


def set_num_threads(n):
    """The threads of compiled loops (this thread's OpenMP setting) and of
    OpenBLAS matmuls; threads that have not run mlopt code yet start with
    MLOPT_NUM_THREADS, which this sets too."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    n = int(n)
    os.environ["MLOPT_NUM_THREADS"] = str(n)
    _C.num_threads()  # the runtime applies its default on a thread's first use: first
    omp, blas = _thread_libraries()
    if omp is not None:
        omp.omp_set_num_threads(ctypes.c_int(n))
    if blas is not None and hasattr(blas, "openblas_set_num_threads"):
        blas.openblas_set_num_threads(ctypes.c_int(n))


def get_num_threads():
    return int(_C.num_threads())


def set_num_interop_threads(n):
    """Stored for get_num_interop_threads (mlopt runs ops on the caller's
    thread: there is no inter-op pool)."""
    global _interop_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n!r}")
    _interop_threads = int(n)


def get_num_interop_threads():
    return _interop_threads if _interop_threads is not None else (os.cpu_count() or 1)


# ---- random state ------------------------------------------------------------------

_MAGIC = 0x6D6C6F7074  # "mlopt"
_WORDS = 4  # 32-bit words per 128-bit number


def _encode(rng):
    state = rng.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        raise RuntimeError(f"get_rng_state: unsupported generator {state.get('bit_generator')}")
    words = [_MAGIC]
    for number in (state["state"]["state"], state["state"]["inc"]):
        words += [(number >> (32 * k)) & 0xFFFFFFFF for k in range(_WORDS)]
    words += [int(state["has_uint32"]), int(state["uinteger"])]
    return T.tensor(np.array(words, dtype=np.int64))


def _decode(new_state):
    if isinstance(new_state, T.Tensor):
        new_state = new_state.detach().cpu().numpy()
    words = np.asarray(new_state).reshape(-1)
    if words.size != 3 + 2 * _WORDS or int(words[0]) != _MAGIC:
        raise RuntimeError("set_rng_state: expected a state made by mlopt.get_rng_state() (an "
                           f"int64 tensor of {3 + 2 * _WORDS} elements), got "
                           f"{words.size} elements")
    words = [int(w) for w in words]

    def number(start):
        return sum(words[start + k] << (32 * k) for k in range(_WORDS))

    return {"bit_generator": "PCG64",
            "state": {"state": number(1), "inc": number(1 + _WORDS)},
            "has_uint32": words[1 + 2 * _WORDS], "uinteger": words[2 + 2 * _WORDS]}


def get_rng_state():
    """The global generator's state (an int64 tensor; PyTorch's is a uint8
    tensor): set_rng_state of it repeats the random numbers that followed."""
    return _encode(T._generator)


def set_rng_state(new_state):
    T._generator.bit_generator.state = _decode(new_state)


def seed():
    """Seeds the global generator from fresh entropy; returns the seed."""
    s = int(np.random.SeedSequence().entropy % (1 << 63))
    T.manual_seed(s)
    return s


def initial_seed():
    """The seed of the last manual_seed (or seed()); 0 before any."""
    return T._initial_seed


def _generator_get_state(self):
    return _encode(self._rng)


def _generator_set_state(self, new_state):
    self._rng.bit_generator.state = _decode(new_state)
    return self


T.Generator.get_state = _generator_get_state
T.Generator.set_state = _generator_set_state


# ---- determinism and matmul precision ---------------------------------------------

_deterministic = False
_deterministic_warn_only = False


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded (are_deterministic_algorithms_enabled). mlopt's CPU kernels
    are deterministic already; on CUDA, scatter_add (index_add, the gradient
    of gather and indexing) adds with atomics whatever the setting."""
    global _deterministic, _deterministic_warn_only
    _deterministic, _deterministic_warn_only = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic_warn_only


_matmul_precision = "highest"


def set_float32_matmul_precision(precision):
    """'highest', 'high' or 'medium', as PyTorch (linked to
    backends.cuda.matmul.allow_tf32). mlopt's float32 matmuls always compute
    in full float32 (CUBLAS_COMPUTE_32F, OpenBLAS sgemm): no TF32."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected 'highest', 'high' or "
                           "'medium'")
    _matmul_precision = precision


def get_float32_matmul_precision():
    return _matmul_precision


# ---- mlopt.cuda's seeding names ----------------------------------------------------

def _cuda_manual_seed(seed):
    """Accepted: CUDA tensors' random numbers come from the global generator
    (mlopt.manual_seed), so this leaves the stream as it is."""
    int(seed)


def _install_cuda_seeding():
    from . import cuda
    names = {"manual_seed": _cuda_manual_seed, "manual_seed_all": _cuda_manual_seed,
             "seed": lambda: None, "seed_all": lambda: None, "initial_seed": initial_seed,
             "get_rng_state": lambda device="cuda": get_rng_state(),
             "set_rng_state": lambda new_state, device="cuda": set_rng_state(new_state),
             "get_rng_state_all": lambda: [get_rng_state()],
             "set_rng_state_all": lambda states: set_rng_state(states[0])}
    for name, fn in names.items():
        if not hasattr(cuda, name):
            setattr(cuda, name, fn)


_install_cuda_seeding()
