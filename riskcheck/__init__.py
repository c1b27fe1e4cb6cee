"""riskcheck: explained arms-export risk assessment against declarative rule sets.

Decision support, not a decision. Public API::

    from riskcheck import load_rules, load_scenario, assess
    result = assess(load_rules("rules/baseline.yaml"), load_scenario("scenarios/x.yaml"))
    result.decision   # 'prohibited' | 'deny' | 'refer' | 'approve_with_conditions' | 'approve'
"""

from .engine import ENGINE_VERSION
from .errors import Diagnostic, InputError, Location, RiskcheckError, UsageError
from .loaded import LoadedRules, LoadedScenario
from .loader import load_rules, load_scenario
from .pipeline import assess
from .trace import DECISIONS, Assessment

__all__ = [
    "DECISIONS",
    "ENGINE_VERSION",
    "Assessment",
    "Diagnostic",
    "InputError",
    "LoadedRules",
    "LoadedScenario",
    "Location",
    "RiskcheckError",
    "UsageError",
    "assess",
    "load_rules",
    "load_scenario",
]
