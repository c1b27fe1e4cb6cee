"""Batch scoring of a licensing register (``riskcheck batch``).

    register.py   the register's columns; reading CSV, Parquet or Excel in chunks; validating
                  rows; deriving each row's facts as arrays (and, for one row, a scenario)
    output.py     the output columns and incremental CSV, Parquet and Excel writers
    run.py        the run: chunks -> facts -> vector.evaluate (engine.assess for the rows it
                  cannot take) -> output, with re-assessment under a second rule set or date

Everything here is a front end over the engine: the decision semantics live in
``riskcheck.engine`` (one transfer, full trace) and ``riskcheck.vector`` (the same outcome
for many transfers at once). Imports pandas/pyarrow, so the CLI imports it lazily.
"""

from .register import COLUMNS, REQUIRED, RegisterProblem, scenario_for_row
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
