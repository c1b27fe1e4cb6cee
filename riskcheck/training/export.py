"""The debrief as text (the CLI's table), as a class-results CSV, and as printable HTML.

CSV cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) are prefixed with a single quote. Every piece of text in
the HTML (trainees' names and reasons, scenario and rule text) is escaped; the page is
self-contained (inline CSS, no script, no external resource).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

from ..explain import num
from ..explain.words import DECISION_WORDS
from ..spreadsheet import safe_text as safe_cell
from ..text_safety import visible
from ..trace import DECISIONS
from .agreement import Kappa, Share
from .answers import INPUT_COLUMNS, LEVEL_WORDS, LEVELS
from .debrief import CriterionRow, Debrief, StageDebrief

CSV_COLUMNS = (
    "exercise",
    "scenario",
    "stage",
    "inject",
    "trainee",
    "criterion",
    "code",
    "level",
    "reason",
    "decision",
    "conditions",
    "tool_level",
    "tool_label",
    "tool_residual",
    "level_verdict",
    "tool_decision",
    "decision_verdict",
    "tool_factor",
    "tool_cite",
)
OUTPUT_ONLY_COLUMNS = tuple(c for c in CSV_COLUMNS if c not in INPUT_COLUMNS)
MARK = {"agrees": "=", "stricter": "+", "more lenient": "-", "not answered": " "}
LEVEL_COLOURS = {"deny": "#b3261e", "refer": "#b26a00", "conditions": "#1f5fa8", "acceptable": "#1e7a34"}
DECISION_COLOURS = {
    "prohibited": "#4a0d0d",
    "deny": "#b3261e",
    "refer": "#b26a00",
    "approve_with_conditions": "#1f5fa8",
    "approve": "#1e7a34",
}


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _decision(d: str | None) -> str:
    return DECISION_WORDS.get(d, d) if d else "-"


# --- CSV ----------------------------------------------------------------------------------


def as_csv(d: Debrief, exercise: str = "") -> str:
    """One row per trainee, stage and criterion; each row repeats the trainee's decision."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for s in d.stages:
        for t in s.answered_by:
            dcell = s.decision.trainees[t]
            conditions = "; ".join(s.decision.trainee_conditions.get(t, ()))
            for r in s.criteria:
                cell = r.trainees[t]
                row = {
                    "exercise": exercise,
                    "scenario": s.stage.scenario_id,
                    "stage": s.stage.stage,
                    "inject": s.stage.inject_title or "",
                    "trainee": t,
                    "criterion": r.id,
                    "code": r.code,
                    "level": cell.level or "",
                    "reason": cell.reason,
                    "decision": dcell.level or "",
                    "conditions": conditions,
                    "tool_level": r.tool_level,
                    "tool_label": r.tool_label,
                    "tool_residual": num(r.residual),
                    "level_verdict": cell.verdict,
                    "tool_decision": s.decision.tool,
                    "decision_verdict": dcell.verdict,
                    "tool_factor": r.why.text(),
                    "tool_cite": "; ".join(r.why.cite),
                }
                w.writerow([safe_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


# --- text ---------------------------------------------------------------------------------


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in counts.items() if n) or "no answer"


def as_text(d: Debrief, title: str = "") -> str:
    lines: list[str] = []
    w = lines.append
    w(f"Exercise debrief{': ' + title if title else ''}")
    w(f"Rule set: {d.rule_set}")
    w(f"Trainees: {', '.join(d.trainees) or 'none'}")
    w("Marks: = agrees with the tool, + stricter than the tool, - more lenient; blank: not assessed.")
    names = list(d.trainees)
    tw = max([12, *(min(len(n), 14) for n in names)])
    for s in d.stages:
        w("")
        head = f"{s.stage.scenario_title} - {s.stage.words}"
        if s.stage.inject_at:
            head += f" ({s.stage.inject_at})"
        w(head)
        w("=" * min(len(head), 100))
        dr = s.decision
        codes = f" ({', '.join(dr.refusal_codes)})" if dr.refusal_codes else ""
        w(
            f"Decision: tool {_decision(dr.tool)}{codes}; class {_counts_text(dr.counts)}; agreeing {dr.share.text()}"
        )
        header = f"  {'code':<8}{'criterion':<34}{'tool':<12}" + "".join(
            f"{_short(n, 14):<{tw + 2}}" for n in names
        )
        w(header + "agreeing")
        for r in s.criteria:
            cells = "".join(
                f"{(r.trainees[n].level or '') + ' ' + MARK[r.trainees[n].verdict]:<{tw + 2}}" for n in names
            )
            w(f"  {_short(r.code, 7):<8}{_short(r.title, 33):<34}{r.tool_level:<12}{cells}{r.share.text()}")
        dcells = "".join(
            f"{(dr.trainees[n].level or '') + ' ' + MARK[dr.trainees[n].verdict]:<{tw + 2}}" for n in names
        )
        w(f"  {'':<8}{'DECISION':<34}{dr.tool:<12}{dcells}{dr.share.text()}")
        differing = [
            r
            for r in s.criteria
            if any(c.verdict in ("stricter", "more lenient") for c in r.trainees.values())
        ]
        if differing:
            w("Where the class differs from the tool, the tool's view rests on:")
            for r in differing:
                w(f"  {r.code} {r.title}: {r.tool_level} - {r.why.criterion}")
                w(f"      driving factor: {r.why.factor} {r.why.score}: {r.why.evidence}")
                if r.why.cite:
                    w(f"      cites {'; '.join(r.why.cite)} · rule {r.why.rule_at}")
        w(f"Class agreement on the criterion levels at this stage: {s.level_kappa.text()}")
    w("")
    w("Agreement over the exercise (Fleiss' kappa: agreement among the trainees beyond chance)")
    w(f"  decision:         {d.decision_kappa.text()}")
    w(f"  criterion levels: {d.level_kappa.text()}")
    w("Per trainee (agreeing with the tool):")
    for x in d.summaries:
        w(
            f"  {x.trainee}: criterion levels {x.levels.text()}, decisions {x.decisions.text()}; "
            f"stricter {x.stricter}, more lenient {x.more_lenient}"
        )
    return visible("\n".join(lines) + "\n")


# --- HTML ---------------------------------------------------------------------------------


def e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


CSS = """
body{font-family:"Liberation Sans",Arial,sans-serif;margin:2rem;color:#1b1b1b;max-width:78rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #ccc}
h3{font-size:1.05rem;margin-top:1.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem 0;font-size:.86rem}
th,td{border:1px solid #bbb;padding:.25rem .4rem;vertical-align:top;text-align:left}
th{background:#f0f0f0}
.agrees{background:#e5f3e8} .stricter{background:#fde7d9} .more-lenient{background:#fff4cc} .not-answered{color:#888}
.pill{display:inline-block;color:#fff;border-radius:.3rem;padding:.05rem .4rem;font-weight:bold}
.bar{display:flex;height:1rem;width:12rem;border:1px solid #999;background:#fafafa}
.bar span{display:block;height:100%}
.small{font-size:.78rem;color:#444} .meta{color:#444}
.decision{font-size:1.1rem;margin:.4rem 0}
@media print{body{margin:0} h2{break-before:page} h2:first-of-type{break-before:auto} tr{break-inside:avoid}}
"""


def _pill(text: str, colour: str) -> str:
    return f'<span class="pill" style="background:{colour}">{e(text)}</span>'


def _bar(counts: dict[str, int], colours: dict[str, str]) -> str:
    total = sum(counts.values())
    if not total:
        return '<span class="small">no answer</span>'
    parts = "".join(
        f'<span title="{e(k)}: {n}" style="width:{100 * n / total:.1f}%;background:{colours.get(k, "#777")}"></span>'
        for k, n in counts.items()
        if n
    )
    words = ", ".join(f"{e(k)} {n}" for k, n in counts.items() if n)
    return f'<div class="bar">{parts}</div><span class="small">{words}</span>'


def _cell(level: str | None, verdict: str, reason: str = "", words: dict[str, str] | None = None) -> str:
    cls = verdict.replace(" ", "-")
    text = (words or {}).get(level or "", level) if level else "not assessed"
    extra = f'<div class="small">{e(reason)}</div>' if reason else ""
    mark = "" if verdict in ("agrees", "not answered") else f' <span class="small">({e(verdict)})</span>'
    return f'<td class="{e(cls)}">{e(text)}{mark}{extra}</td>'


def _criterion_row(r: CriterionRow, names: Sequence[str]) -> str:
    cites = "; ".join(r.why.cite)
    return (
        "<tr>"
        f"<td><b>{e(r.code)}</b> {e(r.title)}</td>"
        f"<td>{_pill(LEVEL_WORDS[r.tool_level], LEVEL_COLOURS[r.tool_level])}"
        f'<div class="small">{e(r.tool_label)}, residual {e(num(r.residual))}</div></td>'
        + "".join(
            _cell(r.trainees[n].level, r.trainees[n].verdict, r.trainees[n].reason, LEVEL_WORDS)
            for n in names
        )
        + f"<td>{_bar(r.counts, LEVEL_COLOURS)}</td>"
        f"<td>{e(r.share.text())}</td>"
        f'<td>{e(r.why.factor)} <span class="small">({e(r.why.score)})</span>'
        f'<div class="small">{e(r.why.evidence)}</div><div class="small">{e(r.why.criterion)}</div>'
        f'<div class="small">{e(cites)} · rule {e(r.why.rule_at)}</div></td>'
        "</tr>"
    )


def _stage_html(s: StageDebrief, names: Sequence[str]) -> str:
    dr = s.decision
    out = [
        f"<h3>{e(s.stage.words.capitalize())}"
        + (f" ({e(s.stage.inject_at)})" if s.stage.inject_at else "")
        + "</h3>"
    ]
    codes = f" · refusal criteria {e(', '.join(dr.refusal_codes))}" if dr.refusal_codes else ""
    out.append(
        f'<p class="decision">The tool: {_pill(_decision(dr.tool), DECISION_COLOURS[dr.tool])}{codes}. '
        f"Class: {_bar(dr.counts, DECISION_COLOURS)} agreeing {e(dr.share.text())}</p>"
    )
    out.append(f'<p class="small">{e(dr.summary)}</p>')
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    out.append(
        f"<table><tr><th>Criterion</th><th>Tool</th>{head}<th>Class spread</th><th>Agreeing</th>"
        "<th>What explains the tool's view (factor, evidence, citation)</th></tr>"
    )
    out += [_criterion_row(r, names) for r in s.criteria]
    dcells = "".join(_cell(dr.trainees[n].level, dr.trainees[n].verdict, words=DECISION_WORDS) for n in names)
    out.append(
        f"<tr><td><b>Decision</b></td><td>{_pill(_decision(dr.tool), DECISION_COLOURS[dr.tool])}</td>{dcells}"
        f"<td>{_bar(dr.counts, DECISION_COLOURS)}</td><td>{e(dr.share.text())}</td><td>{e(dr.summary)}</td></tr></table>"
    )
    conds = [(n, dr.trainee_conditions.get(n, ())) for n in names if dr.trainee_conditions.get(n)]
    if dr.tool_conditions or conds:
        out.append(
            "<p><b>Conditions.</b> The tool attaches: "
            + (e("; ".join(dr.tool_conditions)) or "none")
            + "</p>"
        )
        if conds:
            out.append("<ul>" + "".join(f"<li>{e(n)}: {e('; '.join(c))}</li>" for n, c in conds) + "</ul>")
    out.append(
        f'<p class="small">Class agreement on the criterion levels at this stage: {e(s.level_kappa.text())}</p>'
    )
    return "\n".join(out)


def _kappa_html(label: str, k: Kappa) -> str:
    detail = ""
    if k.observed is not None and k.expected is not None:
        detail = f" (observed agreement {float(k.observed):.3f}, expected by chance {float(k.expected):.3f})"
    return f"<li>{e(label)}: {e(k.text())}{e(detail)}</li>"


def _share(x: Share) -> str:
    return e(x.text())


def as_html(d: Debrief, title: str = "", exercise: str = "", note: str = "") -> str:
    names = list(d.trainees)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e('Debrief: ' + (exercise or title))}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Debrief{': ' + e(exercise) if exercise else ''}</h1>",
        f'<p class="meta">{e(title)}<br>Rule set {e(d.rule_set)} · sha256 {e(d.rules_sha256[:16])}…<br>'
        f"Trainees: {e(', '.join(names) or 'none')}</p>",
    ]
    if note:
        parts.append(f'<p class="meta">{e(note)}</p>')
    parts.append(
        '<p class="small">Levels run from acceptable (below every threshold) through conditions and refer to deny. '
        "Green: agrees with the tool; orange: stricter; yellow: more lenient. The tool is decision support, "
        "not a decision: where a trainee differs, the factor named on the right is what the tool's view rests on.</p>"
    )
    scenario = None
    for s in d.stages:
        if s.stage.scenario_index != scenario:
            scenario = s.stage.scenario_index
            parts.append(f"<h2>{e(s.stage.scenario_title)}</h2>")
        parts.append(_stage_html(s, names))
    parts.append("<h2>Agreement over the exercise</h2><ul>")
    parts.append(_kappa_html("Decision (Fleiss' kappa over the stages)", d.decision_kappa))
    parts.append(_kappa_html("Criterion levels (Fleiss' kappa over criterion and stage)", d.level_kappa))
    parts.append(
        '</ul><p class="small">Fleiss\' kappa measures how far the trainees agree with each other beyond chance '
        "(1: complete agreement; 0: as often as chance; below 0: less often). It does not measure agreement "
        "with the tool: the shares agreeing above do.</p>"
    )
    if d.summaries:
        parts.append(
            "<h3>Per trainee</h3><table><tr><th>Trainee</th><th>Criterion levels agreeing</th>"
            "<th>Decisions agreeing</th><th>Stricter</th><th>More lenient</th></tr>"
        )
        for x in d.summaries:
            parts.append(
                f"<tr><td>{e(x.trainee)}</td><td>{_share(x.levels)}</td><td>{_share(x.decisions)}</td>"
                f"<td>{x.stricter}</td><td>{x.more_lenient}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return visible("\n".join(parts) + "\n")


def render(d: Debrief, fmt: str, *, title: str = "", exercise: str = "") -> str:
    if fmt == "csv":
        return as_csv(d, exercise)
    if fmt == "html":
        return as_html(d, title, exercise)
    return as_text(d, title)


__all__ = ["CSV_COLUMNS", "DECISIONS", "LEVELS", "as_csv", "as_html", "as_text", "render", "safe_cell"]
