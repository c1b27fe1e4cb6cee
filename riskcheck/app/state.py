"""Session state, caches and the history store for the app.

Cross-page state lives in our own ``rc.*`` session keys (never in widget keys, which
Streamlit drops when a widget is not rendered):

- ``rc.case``     the scenario document being assessed (plain data, as in a YAML file)
- ``rc.rules``    the path of the chosen rule file
- ``rc.origin``   where the case came from, in words
- ``rc.version``  a counter in every form widget key: loading a case bumps it, so the form
                  shows the new case instead of what was typed for the last one
- ``rc.errors``   form errors from the last submission, by field
- ``rc.record``   whether the case on the form is to be recorded: set when a user assesses, loads
                  a case or changes the rule set, never for the scenario a new session opens on
                  (ten people opening the app would otherwise record ten copies of it)

Rule sets are cached with ``st.cache_resource`` keyed on the file's path, mtime and size;
assessments and analyses (counterfactuals, missing-evidence ranking, robustness) on the rule
set's and the input's sha256 and the as-of date. An analysis is computed only when a page part
that shows it is open (the Assess page's tabs run lazily): the answer never waits for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from ..errors import InputError
from ..history import History, Record, default_url
from ..loader import LoadedRules, LoadedScenario, load_rules
from ..paths import rules_dir, rules_file_for, scenarios_dir
from ..trace import Assessment
from ..whatif import Analysis, Context, analyse
from . import catalog, forms

CASE, RULES, ORIGIN, VERSION, ERRORS, NOTICE = (
    "rc.case",
    "rc.rules",
    "rc.origin",
    "rc.version",
    "rc.errors",
    "rc.notice",
)
RECORDED, LAST_RECORD, RULES_CHOICE = "rc.recorded", "rc.last_record", "rc.rules_choice"
BUILT, RECORD = "rc.built", "rc.record"
SHOW_ANSWER = "rc.show_answer"  # set by Assess: the next run brings the answer into view
DEFAULT_SCENARIO = "valdoria-rifles-weak-stockpile.yaml"


# --- rule sets --------------------------------------------------------------------------


def rule_files() -> list[str]:
    return [str(p) for p in sorted(rules_dir().glob("*.yaml"))]


@st.cache_resource(max_entries=16, show_spinner=False)
def _rules_cached(path: str, mtime_ns: int, size: int) -> LoadedRules:
    return load_rules(path)


def load_rules_cached(path: str | Path) -> LoadedRules:
    """The compiled rule set; re-read when the file changes (key: path, mtime, size)."""
    st_ = Path(path).stat()
    return _rules_cached(str(path), st_.st_mtime_ns, st_.st_size)


def rules_title(path: str) -> str:
    try:
        rs = load_rules_cached(path).model
        return f"{rs.title} ({rs.id} {rs.version})"
    except (InputError, OSError):
        return f"{Path(path).name} (has errors: run riskcheck check)"


# --- analyses ---------------------------------------------------------------------------


@st.cache_resource(max_entries=64, show_spinner=False)
def _context_cached(
    rules_key: str, scenario_key: str, _rules: LoadedRules, _scenario: LoadedScenario
) -> Context:
    return Context(_rules, _scenario)  # assesses the case (about 1 ms); what-if overrides start from here


@st.cache_resource(
    max_entries=64,
    show_spinner="Working out what would change it: counterfactuals and 1,000 robustness draws...",
)
def _analysis_cached(rules_key: str, scenario_key: str, _ctx: Context) -> Analysis:
    return analyse(_ctx.rules, _ctx.scenario, ctx=_ctx)


def _keys(rules: LoadedRules, scenario: LoadedScenario) -> tuple[str, str]:
    rules_key = f"{rules.path}:{rules.sha256}:{getattr(rules, 'reference_sha256', None)}"
    return rules_key, f"{scenario.sha256}:{scenario.model.date.isoformat()}"


def context(rules: LoadedRules, scenario: LoadedScenario) -> Context:
    """The assessed case, shared by every session that assesses the same input under the same rules."""
    return _context_cached(*_keys(rules, scenario), rules, scenario)


def analysis(rules: LoadedRules, scenario: LoadedScenario) -> Analysis:
    """Counterfactuals, missing-evidence ranking and robustness (about 0.1-0.3 s of CPU per new case):
    computed only when a page part that shows them is open, then shared."""
    keys = _keys(rules, scenario)
    return _analysis_cached(*keys, _context_cached(*keys, rules, scenario))


# --- the case ---------------------------------------------------------------------------


def wkey(name: str) -> str:
    """A form widget's key: changes whenever a new case is loaded."""
    return f"form.{st.session_state.get(VERSION, 0)}.{name}"


def _drop_old_widget_state() -> None:
    current = f"form.{st.session_state.get(VERSION, 0)}."
    for key in list(st.session_state.keys()):
        if str(key).startswith("form.") and not str(key).startswith(current):
            del st.session_state[key]


def set_case(data: dict[str, Any], rules_path: str | None, origin: str, on_purpose: bool = True) -> None:
    """Put ``data`` on the form. ``on_purpose``: a user asked for it, so its assessment is recorded."""
    st.session_state[CASE] = data
    st.session_state[RECORD] = on_purpose
    if rules_path is None:
        rules_path = str(rules_file_for(str(data.get("rules") or "baseline")))
    st.session_state[RULES] = rules_path
    st.session_state[RULES_CHOICE] = rules_path
    st.session_state[ORIGIN] = origin
    st.session_state[VERSION] = st.session_state.get(VERSION, 0) + 1
    st.session_state[ERRORS] = {}
    _drop_old_widget_state()


def open_bundled(path: str, on_purpose: bool = True) -> None:
    data = catalog.scenario_data(path)
    set_case(data, None, f"bundled scenario {Path(path).name}", on_purpose)


def open_uploaded(name: str, data: dict[str, Any]) -> None:
    """A form document from ``upload.read_upload``: only a valid one reaches here (the file is not kept)."""
    set_case(data, None, f"uploaded file {name}")


def open_blank() -> None:
    set_case(catalog.blank_scenario(), st.session_state.get(RULES), "a blank form")


def open_record(rec: Record) -> None:
    import yaml

    data = yaml.safe_load(rec.scenario_yaml)
    path = str(rules_file_for(rec.rule_set_id))
    set_case(data, path if Path(path).is_file() else None, f"saved assessment #{rec.id}")
    # Already recorded: reopening it under the same rules and input is not a new assessment.
    done: dict[str, int] = st.session_state.setdefault(RECORDED, {})
    done[f"{rec.rules_sha256}:{rec.input_sha256}:{rec.as_of}"] = rec.id
    try:
        current = load_rules_cached(st.session_state[RULES])
        if current.sha256 != rec.rules_sha256:
            st.session_state[NOTICE] = (
                f"Assessment #{rec.id} was made with another version of rule set {rec.rule_set_id!r} "
                "(its sha256 differs from the file now): the answer below may differ from the one recorded."
            )
    except (InputError, OSError):
        pass


def init() -> None:
    """Open the default bundled scenario on a new session."""
    if CASE in st.session_state:
        return
    bundled = catalog.bundled_scenarios()
    default = str(scenarios_dir() / DEFAULT_SCENARIO)
    if default not in bundled and bundled:
        default = next(iter(bundled))
    if default in bundled:
        open_bundled(default, on_purpose=False)  # shown, assessed, not recorded until a user acts
        st.session_state["start.scenario"] = default  # the sidebar shows what is open
    else:
        open_blank()
    st.session_state[RECORD] = False


def want_recorded() -> None:
    """The user acted on the case on the form (e.g. chose another rule set): record what it shows."""
    st.session_state[RECORD] = True


def case() -> dict[str, Any]:
    return st.session_state[CASE]  # type: ignore[no-any-return]


def built_case() -> forms.Built:
    """The case validated by the loader; kept until the next case is loaded (which bumps the version)."""
    version = st.session_state.get(VERSION, 0)
    cached = st.session_state.get(BUILT)
    if cached is None or cached[0] != version:
        cached = (version, forms.build(case()))
        st.session_state[BUILT] = cached
    return cached[1]  # type: ignore[no-any-return]


@st.cache_resource(max_entries=64, show_spinner=False)
def chart_specs(key: str, _a: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two Altair charts of an assessment as Vega-Lite specs, built once per assessment."""
    from .charts import contribution_chart, risk_chart

    return risk_chart(_a).to_dict(), contribution_chart(_a).to_dict()


@dataclass
class Current:
    """What the Assess page shows: the rule set, the built case and, when valid, its assessment.

    The assessment is made on every run; the analysis (what would change it, missing evidence,
    robustness) only when :meth:`analysis` is called, so that the answer never waits for it.
    """

    rules_path: str
    rules: LoadedRules | None
    rules_errors: list[str]
    built: forms.Built | None
    ctx: Context | None

    @property
    def assessment(self) -> Assessment | None:
        return self.ctx.base if self.ctx is not None else None

    def analysis(self) -> Analysis:
        assert self.rules is not None and self.built is not None and self.built.scenario is not None
        return analysis(self.rules, self.built.scenario)


def current() -> Current:
    path = st.session_state.get(RULES) or str(rules_file_for("baseline"))
    try:
        rules = load_rules_cached(path)
    except InputError as e:
        return Current(path, None, [str(d) for d in e.diagnostics], None, None)
    except OSError as e:
        return Current(path, None, [f"{path}: {e.strerror}"], None, None)
    built = built_case()
    if not built.ok:
        return Current(path, rules, [], built, None)
    assert built.scenario is not None
    return Current(path, rules, [], built, context(rules, built.scenario))


# --- history ----------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _store(url: str) -> History:
    return History(url)


def store() -> History:
    from .auth_ui import scoped  # a read-only deployment shows a session its own assessments only

    return scoped(_store(default_url()), st.session_state.get(RECORDED, {}).values())


def record_once(cur: Current) -> Record | None:
    """Record the assessment shown, once per session for the same input, rules and date, when the user
    asked for it (assessed, loaded a case, chose a rule set): opening the app records nothing."""
    a = cur.assessment
    if a is None or cur.built is None or cur.built.scenario is None or not st.session_state.get(RECORD):
        return None
    p = a.provenance
    key = f"{p.rules_sha256}:{p.input_sha256}:{p.as_of}"
    done: dict[str, int] = st.session_state.setdefault(RECORDED, {})
    if key in done:
        return None
    s = cur.built.scenario
    from . import auth_ui

    settings = auth_ui.settings()
    # The identity the rule editor records, but only where someone signs in: without sign-in it is
    # the account the server runs under, which is not who made the assessment once the app is
    # reached over the network.
    recorded_by = auth_ui.identity(settings).user if settings.auth != "none" else None
    rec = store().record(
        a,
        cur.built.yaml_text,
        recipient=s.model.transfer.recipient.country,
        profile_yaml=s.profile_doc.text if s.profile_doc is not None else None,
        origin="app",
        note=st.session_state.get(ORIGIN),
        recorded_by=recorded_by,
        scenario=s,  # kept in short: re-assessment replays it without re-reading the YAML
    )
    done[key] = rec.id
    st.session_state[LAST_RECORD] = rec.id
    return rec


def today() -> dt.date:
    return dt.date.today()
