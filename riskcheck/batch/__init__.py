"""Batch scoring of a licensing register (``riskcheck batch``).

    columns.py    the register's columns and how one cell is read (kinds, ranges, messages)
    read.py       reading CSV, Parquet or Excel in chunks of bounded size, with row numbers
    register.py   a chunk validated and its facts derived as arrays (and, for one row, a scenario)
    output.py     the output columns and incremental CSV, Parquet and Excel writers
    run.py        the run: chunks -> facts -> vector.evaluate (engine.assess for the rows it
                  cannot take) -> output, with re-assessment under a second rule set or date

Everything here is a front end over the engine: the decision semantics live in
``riskcheck.engine``: the scalar interpreter (one transfer, full trace) and the array interpreter (the same outcome
for many transfers at once). Imports pandas/pyarrow, so the CLI imports it lazily.
"""

from .columns import COLUMNS, REQUIRED, RegisterProblem
from .register import scenario_for_row
from .run import BatchOptions, BatchReport, run_batch

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "BatchOptions",
    "BatchReport",
    "RegisterProblem",
    "run_batch",
    "scenario_for_row",
]
