"""The memo: one assessment written up for the file, as Markdown or printable HTML.

Both carry the transfer as described, the decision, every criterion and factor with its
evidence and citations, missing and contested evidence ranked by whether it could change
the decision, the conditions to attach, what would change the outcome, robustness, the
provenance block and the input itself (so that the assessment can be reproduced). The
Markdown memo is ``as_markdown`` with those sections added; the HTML memo is rendered here
from the same values, with every piece of text escaped.

``riskcheck report`` and the app's download buttons both call :func:`memo` with an analysis
(``whatif.analyse``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import vocabulary as v
from ..loaded import LoadedScenario
from ..text_safety import visible
from ..trace import Assessment, SourceRef
from .markdown import as_markdown
from .markdown import md_escape as _md
from .words import (
    DECISION_WORDS,
    KIND_WORDS,
    LEVEL_WORDS,
    check_values,
    credited_reduction,
    evidence_line,
    line_heading,
    line_note,
    missing_sentence,
    num,
    robustness_sentence,
    value_text,
)

if TYPE_CHECKING:  # the analysis is the what-if layer's; the memo only reads it
    from ..whatif import Analysis

FORMATS = ("md", "html")
DECISION_COLOURS = {
    "prohibited": "#4a0d0d",
    "deny": "#b3261e",
    "refer": "#b26a00",
    "approve_with_conditions": "#1f5fa8",
    "approve": "#1e7a34",
}


def cite_url(sources: tuple[SourceRef, ...], cite: str) -> str | None:
    """The URL of the source a rendered citation ("ATT Art. 6(1)") names, where the rule set gives one."""
    best: SourceRef | None = None
    for s in sources:
        named = s.url and (cite == s.short or cite.startswith(s.short + " "))
        if named and (best is None or len(s.short) > len(best.short)):
            best = s
    return best.url if best else None


def transfer_lines(scenario: LoadedScenario) -> list[tuple[str, str]]:
    """The transfer as label/value pairs (plain text; the caller escapes)."""
    t = scenario.model.transfer
    unit = f", unit: {t.end_user.unit}" if t.end_user.unit else ", no unit named"
    items = []
    for i in t.items:
        value = f", EUR {i.value_eur:,.0f}" if i.value_eur is not None else ", value not stated"
        model = f" ({i.model})" if i.model else ""
        items.append(
            f"{i.quantity:,} x {i.description}{model} - {i.ml_category}, {i.att_category}, {i.sensitivity}{value}"
        )
    controls = ", ".join(f"{v.CONTROLS.get(c, c)} ({c})" for c in t.controls) or "none"
    rows: list[tuple[str, str]] = [
        ("Exporter", f"{t.exporter.name} ({t.exporter.country})"),
        ("Recipient", f"{t.recipient.name} ({t.recipient.country})"),
        ("End user", f"{t.end_user.name} - {v.END_USER_TYPES.get(t.end_user.type, t.end_user.type)}{unit}"),
        ("Items", "; ".join(items)),
        ("Stated end use", t.end_use),
        ("Channel", str(v.CHANNELS.get(t.channel, t.channel))),
        ("Controls offered", controls),
    ]
    args = getattr(t, "arguments", None)
    if args:
        words = getattr(v, "ARGUMENTS", {})
        rows.append(("Arguments put forward", "; ".join(words.get(x, x) for x in args)))
    prof = scenario.profile
    rows.append(
        ("Recipient profile", f"{prof.name} ({prof.id})" if prof else "none: evidence entered directly")
    )
    rows.append(("Assessed as of", scenario.model.date.isoformat()))
    return rows


# --- Markdown ---------------------------------------------------------------------------


def memo_markdown(
    an: Analysis, scenario: LoadedScenario | None = None, scenario_yaml: str | None = None
) -> str:
    base = as_markdown(an.assessment)
    extra: list[str] = []
    w = extra.append
    w("## What would change the outcome")
    w("")
    if an.counterfactuals:
        for cf in an.counterfactuals:
            w(f"- {_md(cf.sentence)}")
    else:
        w("No change within the engine's reach would make the decision less severe.")
    w("")
    w("## Missing evidence, ranked")
    w("")
    if an.missing:
        for m in an.missing:
            w(
                f"- {'**could change the decision**: ' if m.could_change else ''}`{m.field}`: {_md(missing_sentence(m))}"
            )
    else:
        w("No evidence is missing.")
    w("")
    w("## Robustness")
    w("")
    w(_md(robustness_sentence(an.robustness)))
    w("")
    head: list[str] = []
    if scenario is not None:
        head += ["## The transfer", ""]
        head += ["| | |", "|---|---|"]
        head += [f"| {k} | {_md(val)} |" for k, val in transfer_lines(scenario)]
        head += [""]
    # The transfer goes right after the disclaimer; the added sections before the sources.
    marker = "## Reasons"
    if head and marker in base:
        base = base.replace(marker, "\n".join(head) + "\n" + marker, 1)
    marker = "## Left to human judgement" if "## Left to human judgement" in base else "## Sources"
    body = (
        base.replace(marker, "\n".join(extra) + "\n" + marker, 1)
        if marker in base
        else base + "\n".join(extra)
    )
    if scenario_yaml:
        fence = "````" if "```" in scenario_yaml else "```"
        body += f"\n## Input (scenario as assessed)\n\n{fence}yaml\n{scenario_yaml.rstrip()}\n{fence}\n"
    return visible(body)


# --- HTML -------------------------------------------------------------------------------

CSS = """
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.4;font-size:11pt}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;border-bottom:1px solid #ccc;margin-top:1.6rem}
h3{font-size:1.05rem;margin-bottom:.3rem}
.decision{color:#fff;padding:.6rem 1rem;border-radius:6px;font-size:1.3rem;font-weight:bold;margin:.8rem 0}
.disclaimer{border-left:4px solid #888;padding:.3rem .8rem;background:#f4f4f4}
table{border-collapse:collapse;width:100%;margin:.4rem 0;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#eee} td.n{text-align:right;white-space:nowrap}
.met{color:#1e7a34;font-weight:bold} .unmet{color:#b3261e;font-weight:bold} .unknown{color:#b26a00;font-weight:bold}
.muted{color:#555;font-size:.85rem} code,pre{font-family:"Liberation Mono",monospace;font-size:.8rem}
pre{background:#f6f6f6;padding:.6rem;white-space:pre-wrap;border:1px solid #ddd}
a{color:#1f5fa8}
@media print{
  body{margin:0;max-width:none;font-size:10pt}
  .decision,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  table,tr,.decision{page-break-inside:avoid;break-inside:avoid}
  h2,h3{page-break-after:avoid;break-after:avoid}
  a{color:inherit;text-decoration:none}
  a[href]:after{content:" <" attr(href) ">";font-size:.75em;color:#555}
  .noprint{display:none}
}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _cites_html(a: Assessment, cites: tuple[str, ...]) -> str:
    out = []
    for c in cites:
        url = cite_url(a.sources, c)
        out.append(f'<a href="{_e(url)}">{_e(c)}</a>' if url else _e(c))
    return "; ".join(out)


def memo_html(an: Analysis, scenario: LoadedScenario | None = None, scenario_yaml: str | None = None) -> str:
    a = an.assessment
    p = a.provenance
    out: list[str] = []
    w: Callable[[str], None] = out.append
    w("<!DOCTYPE html>")
    w('<html lang="en"><head><meta charset="utf-8">')
    w('<meta name="viewport" content="width=device-width, initial-scale=1">')
    w(f"<title>Assessment memo: {_e(a.scenario_title)}</title>")
    w(f"<style>{CSS}</style></head><body>")
    w(f"<h1>Assessment memo: {_e(a.scenario_title)}</h1>")
    w(
        f'<p class="muted">Scenario {_e(a.scenario_id)}; rule set {_e(p.rule_set_title)} ({_e(p.rule_set_id)} {_e(p.rule_set_version)}); as of {_e(p.as_of.isoformat())}</p>'
    )
    codes = f" - refusal criteria {_e(', '.join(a.refusal_codes))}" if a.refusal_codes else ""
    w(
        f'<div class="decision" style="background:{DECISION_COLOURS[a.decision]}">Decision: {_e(DECISION_WORDS[a.decision])}{codes}</div>'
    )
    if a.request:
        w(f"<p><em>{_e(a.request)}</em></p>")
    w(f"<p>{_e(a.summary)}</p>")
    w(f'<p class="disclaimer">{_e(a.disclaimer.strip())}</p>')
    if scenario is not None:
        w("<h2>The transfer</h2><table>")
        for k, val in transfer_lines(scenario):
            w(f"<tr><th>{_e(k)}</th><td>{_e(val)}</td></tr>")
        w("</table>")
    if a.lines:
        w("<h2>Item lines</h2><ul>")
        for line in a.lines:
            extra = f" - {_e(line.summary)}" if len(a.lines) > 1 else ""
            w(f"<li><b>{_e(line_heading(line))}</b>{extra}</li>")
        w("</ul>")
        note = line_note(a)
        if note:
            w(f'<p class="muted">{_e(note)}</p>')
    w("<h2>Reasons</h2>")
    if a.reasons:
        w("<ul>")
        for r in a.reasons:
            code = f" [{_e(r.code)}]" if r.code else ""
            w(
                f"<li><b>{_e(DECISION_WORDS[r.outcome])}</b>{code} - {_e(r.text)} ({_cites_html(a, r.cite)})</li>"
            )
        w("</ul>")
    else:
        w("<p>Nothing calls for more than approval.</p>")
    w(
        "<h2>Prohibitions</h2><table><tr><th>Prohibition</th><th>Status</th><th>Test</th><th>Evidence</th><th>Cites</th><th>Rule</th></tr>"
    )
    for pr in a.prohibitions:
        w(
            f"<tr><td>{_e(pr.title)}</td><td>{_e(pr.status.replace('_', ' '))}</td><td>{_e(pr.check.text)}</td>"
            f"<td>{_e(check_values(pr.check))}</td><td>{_cites_html(a, pr.cite)}</td><td><code>{_e(pr.rule_at)}</code></td></tr>"
        )
    w("</table>")
    for ps in a.presumptions:
        state = "rebutted" if ps.rebutted else "not rebutted"
        w(f"<h2>Presumption of denial: {_e(ps.title)}</h2>")
        w(
            f"<p>{_e(ps.applies.replace('_', ' ').capitalize())}; {state}. {_e(ps.explain)} ({_cites_html(a, ps.cite)})</p>"
        )
        if ps.applies != "does_not_apply":
            w("<table><tr><th>Rebuttal condition</th><th>Status</th><th>Evidence</th><th>Cites</th></tr>")
            for item in ps.rebuttal:
                w(
                    f'<tr><td>{_e(item.text)}</td><td class="{_e(item.status)}">{_e(item.status)}</td>'
                    f"<td>{_e(check_values(item.check))}</td><td>{_cites_html(a, item.cite)}</td></tr>"
                )
            w("</table>")
    if a.escalations:
        applying = [e for e in a.escalations if e.status != "does_not_apply"]
        if applying:
            w("<h2>Escalations</h2><ul>")
            for e in applying:
                w(
                    f"<li>{_e(e.title)}: {_e(e.status.replace('_', ' '))} - at least {_e(DECISION_WORDS[e.outcome])}. {_e(e.explain)}</li>"
                )
            w("</ul>")
    w("<h2>Criteria</h2>")
    w(
        "<table><tr><th>Code</th><th>Criterion</th><th>Kind</th><th>Inherent</th><th>Mitigation</th><th>Residual</th><th>Thresholds</th><th>Level</th></tr>"
    )
    for c in a.criteria:
        th = ", ".join(f"{k} {num(x)}" for k, x in c.thresholds)
        w(
            f"<tr><td>{_e(c.refusal_code)}</td><td>{_e(c.title)}</td><td>{_e(KIND_WORDS[c.kind])}</td>"
            f'<td class="n">{num(c.inherent)}</td><td class="n">{credited_reduction(c)}</td>'
            f'<td class="n">{num(c.residual)} ({_e(c.label)})</td><td>{_e(th)}</td><td>{_e(LEVEL_WORDS[c.level])}</td></tr>'
        )
    w("</table>")
    for c in a.criteria:
        w(f"<h3>{_e(c.refusal_code)} - {_e(c.title)}</h3>")
        w(f"<p><i>{_e(c.legal_text)}</i> ({_cites_html(a, c.cite)})</p>")
        w(f"<p>{_e(c.explanation)}</p>")
        past = getattr(c, "past_conduct", "")
        if past:
            w(f"<p><b>{_e(past)}</b></p>")
        w(
            "<table><tr><th>Factor</th><th>Evidence</th><th>Score</th><th>Weight</th>"
            "<th>Contribution</th><th>Cites</th><th>Rule</th></tr>"
        )
        for f in c.factors:
            w(
                f"<tr><td>{_e(f.title)}</td><td>{_e(evidence_line(f))}</td>"
                f'<td class="n">{num(f.score)}/{num(f.max_score)}</td><td class="n">{num(f.weight)}</td>'
                f'<td class="n">{num(f.contribution)}</td><td>{_cites_html(a, f.cite)}</td><td><code>{_e(f.rule_at)}</code></td></tr>'
            )
        w("</table>")
    offered = [m for m in a.mitigations if m.offered]
    w("<h2>Mitigations</h2>")
    if offered:
        w("<ul>" + "".join(f"<li>{_e(m.title)}: {_e(m.why)}</li>" for m in offered) + "</ul>")
    else:
        w("<p>No control offered.</p>")
    args = getattr(a, "arguments", ())
    if args:
        w("<h2>Arguments put forward for approval</h2><ul>")
        for arg in args:
            verdict = "Rejected" if arg.rejected else "Not addressed"
            w(f"<li><b>{_e(arg.title)}</b>: {verdict}. {_e(arg.reason)} ({_cites_html(a, arg.cite)})</li>")
        w("</ul>")
    if a.conditions:
        w("<h2>Conditions to attach</h2><ul>")
        w("".join(f"<li>{_e(c.text)}</li>" for c in a.conditions))
        w("</ul>")
    w("<h2>What would change the outcome</h2>")
    if an.counterfactuals:
        w("<ul>" + "".join(f"<li>{_e(cf.sentence)}</li>" for cf in an.counterfactuals) + "</ul>")
    else:
        w("<p>No change within the engine's reach would make the decision less severe.</p>")
    w("<h2>Missing and contested evidence</h2>")
    if an.missing:
        w(
            "<table><tr><th>Evidence</th><th>Treated as</th><th>Could change the decision</th><th>Used by</th></tr>"
        )
        for m in an.missing:
            could = (
                "yes: " + ", ".join(DECISION_WORDS[d] for d in m.decisions_if_known)
                if m.could_change
                else "no"
            )
            w(
                f"<tr><td><code>{_e(m.field)}</code></td><td>{_e(m.treatment)}</td><td>{_e(could)}</td>"
                f"<td>{_e(', '.join(m.used_by))}</td></tr>"
            )
        w("</table>")
    else:
        w("<p>No evidence is missing.</p>")
    if a.contested:
        w("<ul>")
        for ev in a.contested:
            alts = ", ".join(value_text(x) for x in ev.alternatives)
            w(
                f"<li><code>{_e(ev.field)}</code> contested: {_e(value_text(ev.value))} vs {_e(alts)} (scored on the worst reading)</li>"
            )
        w("</ul>")
    if a.stale:
        w(
            "<ul>"
            + "".join(
                f"<li><code>{_e(e.field)}</code> dated {_e(e.as_of)}: refresh before relying on it</li>"
                for e in a.stale
            )
            + "</ul>"
        )
    if a.overrides:
        w(f"<p>Profile values overridden for this transfer: {_e(', '.join(a.overrides))}</p>")
    w("<h2>Robustness</h2>")
    w(f"<p>{_e(robustness_sentence(an.robustness))}</p>")
    if a.not_formalised:
        w("<h2>Left to human judgement</h2><ul>")
        w("".join(f"<li>{_e(t)}</li>" for t in a.not_formalised))
        w("</ul>")
    w("<h2>Sources</h2><ul>")
    for s in a.sources:
        link = f' <a href="{_e(s.url)}">{_e(s.url)}</a>' if s.url else ""
        w(
            f"<li><b>{_e(s.short)}</b>: {_e(s.title)}, {_e(s.version)} [verification {_e(s.verification)}]{link}</li>"
        )
    w("</ul>")
    w("<h2>Provenance</h2><table>")
    prov = [
        ("Rule set", f"{p.rule_set_id} {p.rule_set_version} ({p.rules_path})"),
        ("Rules sha256", p.rules_sha256),
        ("Input", p.input_path),
        ("Input sha256", p.input_sha256),
        ("Engine", f"riskcheck {p.engine_version}"),
        ("As of", p.as_of.isoformat()),
    ]
    ref = getattr(p, "reference_sha256", None)
    if ref:
        prov.append(("Reference data sha256", ref))
    profile_sha256 = p.profile_sha256
    if profile_sha256:
        prov.append(("Recipient profile sha256 (its version)", profile_sha256))
    for k, val in prov:
        w(f"<tr><th>{_e(k)}</th><td><code>{_e(val)}</code></td></tr>")
    w("</table>")
    if scenario_yaml:
        w(f"<h2>Input (scenario as assessed)</h2><pre>{_e(scenario_yaml)}</pre>")
    w("</body></html>")
    return visible("\n".join(out) + "\n")


def memo(
    an: Analysis, fmt: str, scenario: LoadedScenario | None = None, scenario_yaml: str | None = None
) -> str:
    if fmt == "md":
        return memo_markdown(an, scenario, scenario_yaml)
    if fmt == "html":
        return memo_html(an, scenario, scenario_yaml)
    raise ValueError(f"unknown memo format {fmt!r}; choose one of {', '.join(FORMATS)}")
