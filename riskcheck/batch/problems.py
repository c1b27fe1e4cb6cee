"""The problems found in one chunk of a register, kept as arrays.

A register can hold a problem on every row (a column left empty, a date in the wrong format):
two hundred thousand rows of them must cost a few array operations, not two million objects
sorted one comparison at a time. Problems are added in blocks (one column, one message or one
message per row); ``RegisterProblem`` objects are made only for the few that are printed.
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from .columns import RegisterProblem


class Problems:
    """Problems on the rows of a chunk (by index), plus records that could not be read at all."""

    def __init__(self, rows: np.ndarray, path: str, skipped: list[RegisterProblem] | None = None):
        self.rows = rows  # spreadsheet row number of each index
        self.path = path
        self.skipped = list(skipped or [])  # not rows of the chunk: reported, never in 'errors'
        self._index: list[np.ndarray] = []
        self._column: list[str] = []
        self._message: list[np.ndarray] = []
        self._sorted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._names: list[str] = []  # the columns, sorted: ``_in_order`` numbers them

    def add(self, index: np.ndarray, column: str, message: str | np.ndarray) -> None:
        """``message`` is one text for every row given, or an object array of one per row."""
        if not len(index):
            return
        if isinstance(message, str):
            text = np.full(len(index), message, dtype=object)
        else:
            text = np.asarray(message, dtype=object)
        self._index.append(np.asarray(index, dtype=np.int64))
        self._column.append(column)
        self._message.append(text)
        self._sorted = None

    def __len__(self) -> int:
        return sum(len(i) for i in self._index) + len(self.skipped)

    def _in_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Index, column number (into ``_column``) and message of every problem, by row then column."""
        if self._sorted is None:
            if not self._index:
                empty = np.array([], dtype=np.int64)
                self._sorted = (empty, empty, np.array([], dtype=object))
            else:
                index = np.concatenate(self._index)
                names = sorted(set(self._column))
                rank = {c: names.index(c) for c in names}
                col = np.concatenate(
                    [
                        np.full(len(i), rank[c], np.int64)
                        for i, c in zip(self._index, self._column, strict=True)
                    ]
                )
                msg = np.concatenate(self._message)
                order = np.lexsort((col, index))
                self._names = names
                self._sorted = (index[order], col[order], msg[order])
        return self._sorted

    def first(self, k: int) -> list[RegisterProblem]:
        """The first ``k`` problems by row (then column), as printed."""
        index, col, msg = self._in_order()
        head = [
            RegisterProblem(int(self.rows[i]), self._names[c], str(m), self.path)
            for i, c, m in zip(index[:k], col[:k], msg[:k], strict=True)
        ]
        return heapq.nsmallest(k, itertools.chain(head, self.skipped))

    def for_row(self, row: int) -> list[RegisterProblem]:
        index, col, msg = self._in_order()
        hit = np.flatnonzero(self.rows[index] == row)
        return [RegisterProblem(row, self._names[col[j]], str(msg[j]), self.path) for j in hit]

    def errors(self) -> np.ndarray:
        """Per row of the chunk: its problems joined by ' | ' (None for a row without any)."""
        out = np.full(len(self.rows), None, dtype=object)
        index, col, msg = self._in_order()
        if not len(index):
            return out
        labels = np.array([f"column {c}: " if c else "" for c in self._names], dtype=object)
        text = labels[col] + msg
        first = np.ones(len(index), dtype=bool)
        first[1:] = index[1:] != index[:-1]
        text[~first] = " | " + text[~first]
        starts = np.flatnonzero(first)
        out[index[starts]] = np.add.reduceat(text, starts)
        return out
