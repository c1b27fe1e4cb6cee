"""Rule sets: read a rule set as text with the law beside each rule, edit it safely, see its edit log.

Only files directly inside the rules folder (``riskcheck.paths.rules_dir()``) are offered; a name
given in the address (``?rules=baseline.yaml``) goes through ``rule_edits.resolve_rule_file`` first,
so nothing outside that folder is read. Editing is in :mod:`riskcheck.app.rules_editor`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from riskcheck import rule_edits
from riskcheck.app import auth_ui, rules_editor, state
from riskcheck.app.widgets import md
from riskcheck.errors import InputError
from riskcheck.explain import KIND_WORDS, num
from riskcheck.facts import field_label
from riskcheck.loader import LoadedRules

OP_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "in": "is one of",
    "not_in": "is none of",
    "has": "includes",
    "has_any": "includes any of",
    "has_all": "includes all of",
    "has_none": "includes none of",
    "known": "is known",
    "unknown": "is unknown",
}
MISSING_WORDS = {
    "assume_worst": "scored at its worst",
    "assume": "scored as {score}",
    "refer": "scored at its worst and the case referred until it is found",
}
FILE_CHOICE = "rules.file"


def _value(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(_value(x) for x in v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def condition_text(cond: Any) -> str:
    """A condition in words (Markdown, escaped): ``country.pts ≥ 4``, ``all of (…; …)``."""
    if hasattr(cond, "all"):
        return "all of (" + "; ".join(condition_text(c) for c in cond.all) + ")"
    if hasattr(cond, "any"):
        return "any of (" + "; ".join(condition_text(c) for c in cond.any) + ")"
    if hasattr(cond, "not_"):
        return "not (" + condition_text(cond.not_) + ")"
    words = OP_WORDS.get(cond.op, cond.op)
    value = "" if cond.op in ("known", "unknown") else f" {md(_value(cond.value))}"
    return f"{md(field_label(cond.field))} (`{cond.field}`) {words}{value}"


def cites(lr: LoadedRules, items: list[str]) -> str:
    out = []
    for c in items:
        sid, _, provision = c.partition(" ")
        src = lr.model.sources.get(sid)
        out.append(f"{src.short} {provision}".strip() if src else c)
    return md("; ".join(out))


def where(lr: LoadedRules, *loc: Any) -> str:
    at = lr.line_of(*loc)
    return f"`{Path(at.path).name}:{at.line}`" if at.line else ""


def _scoring(f: Any) -> str:
    if f.bands is not None:
        parts = []
        for b in f.bands:
            lo = "" if b.min is None else f"{num(b.min)} ≤ "
            hi = "" if b.max is None else f" < {num(b.max)}"
            parts.append(f"{lo}value{hi} → {num(b.score)}")
        return "; ".join(parts)
    return "; ".join(f"{md(_value(r.value))} → {num(r.score)}" for r in f.table or [])


def _thresholds(lr: LoadedRules, c: Any) -> str:
    th = c.thresholds or lr.model.policy.thresholds.get(c.kind)
    if th is None:
        return ""
    parts = [f"conditions from {num(th.conditions)}", f"refer from {num(th.refer)}"]
    if th.deny is not None:
        parts.append(f"deny from {num(th.deny)}")
    own = " (its own)" if c.thresholds else ""
    return ", ".join(parts) + own


def law_and_rule(law: str, rule: list[str]) -> None:
    """The legal text on the left, the rule that implements it on the right (as Catala places them)."""
    left, right = st.columns([2, 3], gap="medium")
    with left:
        st.markdown(law)
    with right:
        st.markdown("\n".join(rule))


def readable(lr: LoadedRules) -> None:
    """The whole rule set as text: each element with its legal basis beside it and its file line."""
    rs = lr.model
    st.markdown(f"### {md(rs.title)}")
    st.markdown(
        f"`{rs.id}` version {md(rs.version)} · effective from {rs.effective_from}"
        + (f" to {rs.effective_to}" if rs.effective_to else "")
        + f" · sha256 `{lr.sha256[:16]}…`"
    )
    st.markdown(md(rs.description))
    st.info(md(rs.disclaimer))
    with st.expander(f"Sources ({len(rs.sources)})"):
        for sid, s in rs.sources.items():
            link = f" · [{md(s.url)}]({s.url})" if s.url else ""
            note = f" - {md(s.note)}" if s.note else ""
            st.markdown(
                f"- **{md(s.short)}** (`{sid}`): {md(s.title)}, {md(s.version)} [verification {s.verification}]"
                f"{link}{note}"
            )
    pol = rs.policy
    st.markdown("#### Thresholds by legal kind")
    for kind, th in pol.thresholds.items():
        parts = ", ".join(f"{k} {num(x)}" for k, x in th.model_dump().items() if x is not None)
        if parts:
            st.markdown(f"- **{md(KIND_WORDS.get(kind, kind))}**: {parts}")
    st.markdown(
        f"Scores run from {num(pol.score_min)} to {num(pol.score_max)}; a criterion's risk is at least its worst "
        f"factor minus {num(pol.floor_gap)} (one severe factor is not averaged away). {where(lr, 'policy')}"
    )
    st.caption(
        "Left: what the law says, in the rule set's words and citations. Right: the rule that applies it."
    )
    if rs.prohibitions:
        st.markdown("#### Prohibitions (nothing offsets them)")
        for i, p in enumerate(rs.prohibitions):
            law_and_rule(
                f"**{md(p.title)}**  \n{md(p.explain)}  \n*{cites(lr, p.cite)}*",
                [
                    f"**Prohibited** (refusal code {md(p.refusal_code)}) when {condition_text(p.when)}.",
                    f"{where(lr, 'prohibitions', i)} · id `{p.id}`",
                ],
            )
    if rs.presumptions:
        st.markdown("#### Presumptions of denial")
        for i, pr in enumerate(rs.presumptions):
            rule = [
                f"**Deny** (refusal code {md(pr.refusal_code)}) when {condition_text(pr.applies_when)}, "
                "unless every rebuttal item is demonstrated:",
            ]
            rule += [f"- {md(r.text)}: {condition_text(r.when)}" for r in pr.rebuttal]
            rule.append(
                f"\nWhen rebutted, the outcome is at most {md(pr.when_rebutted.minimum_outcome.replace('_', ' '))}. "
                f"{where(lr, 'presumptions', i)} · id `{pr.id}`"
            )
            law_and_rule(f"**{md(pr.title)}**  \n{md(pr.explain)}  \n*{cites(lr, pr.cite)}*", rule)
    st.markdown("#### Criteria")
    for i, c in enumerate(rs.criteria):
        rule = [
            f"**{md(KIND_WORDS[c.kind])}**, refusal code **{md(c.refusal_code)}**; thresholds: {_thresholds(lr, c)}.",
            f"Mitigation {'up to ' + num(c.max_mitigation) if c.mitigable else 'not allowed'}. "
            f"{where(lr, 'criteria', i)} · id `{c.id}`",
            "",
        ]
        for j, f in enumerate(c.factors):
            missing = MISSING_WORDS[f.missing.policy].format(score=num(f.missing.score or 0))
            rule.append(
                f"- **{md(f.title)}** reads {md(field_label(f.input))} (`{f.input}`), weight {num(f.weight)}: "
                f"{_scoring(f)}; "
                f"if missing, {missing}. *{cites(lr, f.cite)}* {where(lr, 'criteria', i, 'factors', j)}"
            )
        law_and_rule(f"**{md(c.title)}**  \n{md(c.legal_text)}  \n*{cites(lr, c.cite)}*", rule)
    if rs.escalations:
        st.markdown("#### Escalations")
        for i, e in enumerate(rs.escalations):
            law_and_rule(
                f"**{md(e.title)}**  \n{md(e.explain)}  \n*{cites(lr, e.cite)}*",
                [
                    f"At least **{md(e.outcome.replace('_', ' '))}** when {condition_text(e.when)}. "
                    f"{where(lr, 'escalations', i)} · id `{e.id}`"
                ],
            )
    if rs.mitigations:
        st.markdown("#### Mitigations")
        for i, m in enumerate(rs.mitigations):
            lowers = ", ".join(f"`{k}` by {num(v)}" for k, v in m.reduces.items())
            req = f" when {condition_text(m.requires)}" if m.requires else ""
            law_and_rule(
                f"**{md(m.title)}**  \n{md(m.condition_text)}  \n*{cites(lr, m.cite)}*",
                [f"Control `{m.control}` lowers {lowers}{req}. {where(lr, 'mitigations', i)} · id `{m.id}`"],
            )
    if rs.rejected_arguments:
        st.markdown("#### Arguments that do not count")
        for a in rs.rejected_arguments:
            st.markdown(
                f"- **{md(str(a.argument).replace('_', ' '))}**: {md(a.reason)} *{cites(lr, a.cite)}*"
            )
    if rs.not_formalised:
        st.markdown("#### Left to human judgement")
        for t in rs.not_formalised:
            st.markdown(f"- {md(t)}")


def _chosen(names: list[str]) -> str | None:
    """The file asked for in the address (``?rules=``), if it is one of ours; else the session's choice."""
    asked = st.query_params.get("rules")
    if asked and st.session_state.get("rc.rules_asked") != asked:
        st.session_state["rc.rules_asked"] = asked
        try:
            name = rule_edits.resolve_rule_file(asked).name
        except rule_edits.PathRefused as e:
            st.error(f"Not opened: {e}.")
            return None
        if name in names:
            return name
    return None


def page() -> None:
    st.title("Rule sets")
    folder = rule_edits.folder_of()
    st.caption(
        f"The rules the app applies, as written in `{str(folder).replace('`', '')}`. Read a rule set with the law beside each "
        "rule, try an edit and see which scenarios it would change, and save it if you are a reviewer. "
        "`riskcheck check rules/` and `riskcheck diff OLD NEW` do the same from the command line."
    )
    names = rule_edits.rule_file_names(folder)
    if not names:
        st.warning("No rule file found.")
        return
    asked = _chosen(names)
    if asked:
        st.session_state[FILE_CHOICE] = asked
    if st.session_state.get(FILE_CHOICE) not in names:
        st.session_state[FILE_CHOICE] = "baseline.yaml" if "baseline.yaml" in names else names[0]
    name = st.selectbox(
        "Rule set",
        names,
        key=FILE_CHOICE,
        format_func=lambda n: state.rules_title(str(folder / n)),
    )
    path = rule_edits.resolve_rule_file(name, folder)
    settings = auth_ui.settings()
    read, edit, log = st.tabs(["Read", "Edit", "Edit log"])
    with read:
        try:
            readable(state.load_rules_cached(path))
        except InputError as e:
            st.error("This rule file has errors (fix them on the Edit tab):")
            st.code("\n".join(str(d) for d in e.diagnostics))
    with edit:
        if settings.read_only:
            st.info(
                "This deployment is read-only: rules cannot be edited here."
                + (" " + " ".join(settings.problems) if settings.problems else "")
            )
        else:
            rules_editor.editor(name, path)
    with log:
        rules_editor.edit_log(name)
