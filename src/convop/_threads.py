"""BLAS thread control for batched small-matrix work.

OpenBLAS parallelises each small factorisation or product separately; for stacks of
64×64 matrices the threads mostly wait on each other, and with any other load on the
machine a batched Cholesky runs several times slower than on one thread (measured on
2 cores: 25 ms vs 230 ms). When ``threadpoolctl`` is installed (it is in the ``all``
and ``test`` extras) such sections run with one BLAS thread; otherwise nothing changes.
"""
from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread inside the block when ``threadpoolctl`` is available."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def one_blas_thread(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`single_blas_thread`."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with single_blas_thread():
            return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
