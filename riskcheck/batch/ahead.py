"""Two cores at work: the next chunk is read while this one is scored, and written after.

Reading (pyarrow's CSV and Parquet readers, each column's distinct values and their casts) and
writing (pyarrow's writers) run mostly in C with Python's lock released, so a second thread does
them while the main thread validates and scores. One chunk is read ahead and one written behind,
no more: memory stays bounded by a few chunks. Errors reach the main thread in order, as if
nothing ran beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")
_END = object()


def read_ahead(items: Iterator[T], prepare: Callable[[T], U]) -> Iterator[U]:
    """``prepare(item)`` for each item, the next one produced in a second thread meanwhile."""

    def step() -> Any:
        item = next(items, _END)
        return item if item is _END else prepare(item)  # type: ignore[arg-type]

    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskcheck-read") as pool:
            pending = pool.submit(step)
            while (done := pending.result()) is not _END:
                pending = pool.submit(step)
                yield done
    finally:  # the reader's thread is done: its file can be closed here
        close = getattr(items, "close", None)
        if close is not None:
            close()


class WriteBehind:
    """Calls ``write(x)`` in a second thread, one call at a time and in order; ``wait()`` returns
    when all are done (and raises what the last one raised)."""

    def __init__(self, write: Callable[[Any], None]):
        self.write = write
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskcheck-write")
        self.pending: Future[None] | None = None

    def __call__(self, x: Any) -> None:
        self.wait()
        self.pending = self.pool.submit(self.write, x)

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def close(self, quiet: bool = False) -> None:
        """Wait for the last write; with ``quiet`` (the run failed already), keep its error to
        itself rather than hide the one that stopped the run."""
        try:
            self.wait()
        except Exception:
            if not quiet:
                raise
        finally:
            self.pool.shutdown(wait=True)
