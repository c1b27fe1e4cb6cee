"""Batch scoring of a licensing register (``riskcheck batch``).

    columns.py    the register's columns and how one cell is read (kinds, ranges, messages)
    files.py      the chunk a reader yields; only regular files are opened
    records.py    where the records of a CSV buffer end (linear, quote-aware)
    read_csv.py   a CSV register in blocks of whole records, with spreadsheet row numbers
    read.py       any register (CSV, Parquet or Excel) in chunks of bounded size; its columns checked
    parse.py      a column's distinct values read by vectorised casts, parse_value for the rest
    problems.py   a chunk's problems kept as arrays
    register.py   a chunk validated and its facts derived as arrays (and, for one row, a scenario)
    ahead.py      the next chunk read, and the last one written, in a second thread
    output.py     the output columns and incremental CSV, Parquet and Excel writers
    run.py        the run: chunks -> facts -> vector.evaluate (engine.assess for the rows it
                  cannot take) -> output, with re-assessment under a second rule set or date

Everything here is a front end over the engine: the decision semantics live in
``riskcheck.engine``: the scalar interpreter (one transfer, full trace) and the array interpreter (the same
outcome for many transfers at once). Imports pyarrow and numpy (never pandas), so the CLI imports it
lazily. docs/batch.md is the user's page.
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
