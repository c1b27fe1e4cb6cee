"""The engine: a rule set compiled once into a plan (``plan.py``), the law's steps written once
(``steps.py``), and two interpreters of the same plan: ``scalar.py`` (one case, its outcome and a
trace of values, ``values.py``) and ``arrays.py`` (many cases at once, the outcome columns).

The engine computes; it never words. Sentences are the explain layer's (``riskcheck/explain``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .plan import Params, Plan, compile_plan
from .scalar import evaluate

try:
    ENGINE_VERSION = version("riskcheck")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    ENGINE_VERSION = "0+unknown"

__all__ = ["ENGINE_VERSION", "Params", "Plan", "compile_plan", "evaluate"]
