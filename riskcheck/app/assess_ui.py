"""Assess: describe a transfer, see the answer at once, drill down, try controls, download the memo."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from riskcheck import vocabulary as v
from riskcheck.app import catalog, evidence_rows, forms, state, upload, widgets
from riskcheck.app.widgets import md
from riskcheck.facts import field_label
from riskcheck.report import Analysis, memo
from riskcheck.trace import DECISION_WORDS
from riskcheck.whatif import Context, override

wkey = state.wkey
FORM_FIELDS = (
    "title",
    "date",
    "transfer.exporter.country",
    "transfer.exporter.name",
    "transfer.recipient.country",
    "transfer.recipient.name",
    "transfer.end_user.type",
    "transfer.end_user.name",
    "transfer.end_user.unit",
    "transfer.end_use",
    "transfer.channel",
    "transfer.controls",
    "transfer.arguments",
    "transfer.items",
)
ARGUMENTS: dict[str, str] = getattr(v, "ARGUMENTS", {})


# --- start panel (sidebar) ----------------------------------------------------------------


UPLOAD = "A scenario file (YAML)"
UPLOAD_ERRORS = "start.upload_errors"  # not a widget key: kept while the uploader is hidden
SHOWN_ERRORS = 20


def _open_selected() -> None:
    kind = st.session_state.get("start.kind")
    if kind == UPLOAD:
        _open_upload()
    elif kind == "A bundled scenario":
        path = st.session_state.get("start.scenario")
        if path:
            state.open_bundled(path)
    elif kind == "A saved assessment":
        rid = st.session_state.get("start.record")
        if rid is not None:
            state.open_record(state.store().get(int(rid)))
    else:
        state.open_blank()


def _open_upload() -> None:
    """Load the uploaded file if it is valid; otherwise keep the case and say why, by line."""
    f = st.session_state.get("start.upload")
    if f is None:
        st.session_state[UPLOAD_ERRORS] = ["Choose a scenario file first."]
        return
    result = upload.read_upload(f.name, f.getvalue())
    st.session_state[UPLOAD_ERRORS] = list(result.errors)
    if result.data is not None:
        state.open_uploaded(result.name, result.data)


def _upload_changed() -> None:
    st.session_state.pop(UPLOAD_ERRORS, None)  # the messages were about the file just replaced


def _upload_panel() -> None:
    sb = st.sidebar
    sb.file_uploader(
        "Scenario file",
        type=["yaml", "yml"],
        key="start.upload",
        on_change=_upload_changed,
        max_upload_size=upload.MAX_UPLOAD_MB,
        help=(
            f"A scenario in the format of the bundled ones, at most {upload.size_text(upload.MAX_BYTES)}. "
            "A profile it names (evidence.profile) is taken from the bundled scenarios folder. "
            "The file itself is not kept; the assessment made from it is recorded in the history like any other."
        ),
    )
    errors = st.session_state.get(UPLOAD_ERRORS) or []
    if errors:
        sb.error("Not loaded: the case on the form is unchanged.", icon="⚠️")
        more = len(errors) - SHOWN_ERRORS
        shown = errors[:SHOWN_ERRORS] + ([f"... and {more} more"] if more > 0 else [])
        # A code block shows the file's own text (keys, values) literally: no markdown in it runs.
        sb.code("\n".join(shown), language=None, wrap_lines=True)


def _rules_changed() -> None:
    st.session_state[state.RULES] = st.session_state[state.RULES_CHOICE]
    state.want_recorded()


def start_panel() -> None:
    sb = st.sidebar
    sb.markdown("### Start from")
    kind = sb.radio(
        "Start from",
        ["A bundled scenario", "A saved assessment", UPLOAD, "A blank form"],
        key="start.kind",
        label_visibility="collapsed",
    )
    if kind == "A bundled scenario":
        index = catalog.scenario_index()
        sb.selectbox(
            "Scenario",
            list(index),
            format_func=lambda p: index[p].label,
            key="start.scenario",
            help="Type any part of a title, a file name or a state's name to find a scenario.",
        )
    elif kind == "A saved assessment":
        try:
            records = state.store().list(limit=100)
        except Exception as exc:  # a database that cannot be reached is a message, not a traceback
            sb.error(f"The history database cannot be read: {exc}")
            records = []
        if records:
            labels = {r.id: r.label for r in records}
            sb.selectbox(
                "Saved assessment", list(labels), format_func=lambda i: labels[i], key="start.record"
            )
        else:
            sb.caption("No saved assessment yet: every assessment made here is recorded.")
    elif kind == UPLOAD:
        _upload_panel()
    sb.button("Load into the form", on_click=_open_selected, type="primary", key="start.open")
    sb.markdown("### Rule set")
    files = state.rule_files()
    if st.session_state.get(state.RULES_CHOICE) not in files and files:
        st.session_state[state.RULES_CHOICE] = st.session_state.get(state.RULES, files[0])
        if st.session_state[state.RULES_CHOICE] not in files:
            st.session_state[state.RULES_CHOICE] = files[0]
    sb.selectbox(
        "Rule set",
        files,
        format_func=state.rules_title,
        key=state.RULES_CHOICE,
        on_change=_rules_changed,
        label_visibility="collapsed",
    )
    sb.caption(f"Working on {md(st.session_state.get(state.ORIGIN, ''))}.")
    sb.page_link("views/compare.py", label="Compare under every rule set", icon=":material/compare_arrows:")


# --- the form -----------------------------------------------------------------------------


def _errors() -> dict[str, list[str]]:
    return st.session_state.get(state.ERRORS) or {}


def _field_error(name: str) -> None:
    for msg in _errors().get(name, []):
        st.error(msg, icon="⚠️")


def _evidence_frame(rows: list[dict[str, Any]], group: str) -> pd.DataFrame:
    specs = evidence_rows.GROUPS[group]
    df = pd.DataFrame(
        [
            {
                "indicator": r["indicator"],
                "title": field_label(f"{group}.{r['indicator']}"),
                "what": specs[r["indicator"]].description
                + (f" [{', '.join(specs[r['indicator']].values)}]" if specs[r["indicator"]].values else ""),
                "value": r["value"],
                "confidence": r["confidence"],
                "source": r["source"],
                "as_of": r["as_of"],
                "alternatives": r["alternatives"],
                "origin": r["origin"],
            }
            for r in rows
        ]
    )
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    return df


# Widths chosen so that every column fits the wide layout at 1280 px: nothing is cut off at the right.
EVIDENCE_CONFIG = {
    "title": st.column_config.TextColumn("Indicator", disabled=True, width="medium"),
    "what": st.column_config.TextColumn("What it is", disabled=True, width="large"),
    "value": st.column_config.TextColumn(
        "Value", help="yes/no, a number, or one of the listed values", width="small"
    ),
    "confidence": st.column_config.SelectboxColumn(
        "Confidence", options=list(evidence_rows.CONFIDENCES), width="small"
    ),
    "source": st.column_config.TextColumn("Source", width="medium"),
    "as_of": st.column_config.DateColumn("As of", format="YYYY-MM-DD", width="small"),
    "alternatives": st.column_config.TextColumn(
        "Other readings", help="For contested values, comma-separated", width="small"
    ),
    "origin": st.column_config.TextColumn(
        "From",
        disabled=True,
        help="profile · override (replaces the profile) · entered · missing",
        width="small",
    ),
}
EVIDENCE_ORDER = ["title", "value", "confidence", "origin", "source", "as_of", "alternatives", "what"]
ITEM_CONFIG = {
    "description": st.column_config.TextColumn("Description", required=True),
    "ml_category": st.column_config.SelectboxColumn(
        "Military List",
        options=list(v.MILITARY_LIST),
        format_func=lambda c: f"{c} {v.MILITARY_LIST.get(c, '')}"[:60],
    ),
    "att_category": st.column_config.SelectboxColumn("ATT category", options=list(v.ATT_CATEGORIES)),
    "sensitivity": st.column_config.SelectboxColumn(
        "Sensitivity",
        options=list(v.SENSITIVITY),
        format_func=lambda c: v.SENSITIVITY[c].title if c in v.SENSITIVITY else str(c),
    ),
    "model": st.column_config.TextColumn("Model"),
    "quantity": st.column_config.NumberColumn("Quantity", min_value=1, step=1, format="%d"),
    "value_eur": st.column_config.NumberColumn("Value (EUR)", min_value=0, format="%,.0f"),
}


def _submit() -> None:
    """Form callback: build the scenario from the widgets; keep it, or keep the errors."""
    ss = st.session_state
    data = state.case()
    try:
        rules_id = state.load_rules_cached(ss[state.RULES]).model.id
    except Exception:  # the page shows the rule-set error
        rules_id = str(data.get("rules") or "baseline")
    items = forms.apply_editor_state(ss[wkey("rows.items")], ss.get(wkey("items")))
    country = forms.apply_editor_state(ss[wkey("rows.country")], ss.get(wkey("country")))
    unit = forms.apply_editor_state(ss[wkey("rows.unit")], ss.get(wkey("unit")))
    f = forms.FormInput(
        title=ss[wkey("title")],
        date=ss[wkey("date")],
        exporter_country=ss[wkey("exporter")] or "",
        exporter_name=ss[wkey("exporter_name")],
        recipient_country=ss[wkey("recipient")] or "",
        recipient_name=ss[wkey("recipient_name")],
        end_user_type=ss[wkey("end_user_type")],
        end_user_name=ss[wkey("end_user")],
        unit=ss[wkey("unit_name")],
        end_use=ss[wkey("end_use")],
        channel=ss[wkey("channel")],
        controls=list(ss[wkey("controls")]),
        items=items,
        country_rows=country,
        unit_rows=unit,
        briefing=ss[wkey("briefing")],
        arguments=list(ss[wkey("arguments")]) if ARGUMENTS else None,
    )
    old_recipient = ((data.get("transfer") or {}).get("recipient") or {}).get("country")
    new = forms.apply_form(data, f, rules_id)
    built = forms.build(new)
    if not built.ok:
        ss[state.ERRORS] = built.errors
        return
    origin = str(ss.get(state.ORIGIN, ""))
    state.set_case(new, ss[state.RULES], origin if origin.endswith("(edited)") else f"{origin} (edited)")
    if old_recipient and old_recipient != f.recipient_country:
        ss[state.NOTICE] = (
            f"The recipient changed to {catalog.country_name(f.recipient_country)}: its country evidence now comes "
            "from its profile"
            + (" (none is bundled: enter the evidence below)." if "profile" not in new["evidence"] else ".")
        )


def transfer_form() -> None:
    data = state.case()
    t = data.get("transfer") or {}
    codes = [c.code for c in catalog.countries()]
    labels = {c.code: c.label for c in catalog.countries()}
    labels[""] = "(choose a state)"
    ss = st.session_state
    if wkey("frames") not in ss:  # once per loaded case: the keys go with the version
        ss[wkey("rows.items")] = forms.item_rows(data)
        ss[wkey("rows.country")] = evidence_rows.evidence_rows(data, "country")
        ss[wkey("rows.unit")] = evidence_rows.evidence_rows(data, "unit")
        ss[wkey("frames")] = {
            "items": pd.DataFrame(ss[wkey("rows.items")], columns=list(forms.ITEM_COLUMNS)),
            "country": _evidence_frame(ss[wkey("rows.country")], "country"),
            "unit": _evidence_frame(ss[wkey("rows.unit")], "unit"),
        }
    frames = ss[wkey("frames")]
    errors = _errors()
    with st.form(wkey("form"), border=False):
        if errors:
            st.error("The transfer could not be assessed: please correct the fields marked below.", icon="⚠️")
            for key, msgs in errors.items():
                if key not in FORM_FIELDS and not key.startswith("evidence."):
                    for msg in msgs:
                        st.error(msg)
        c1, c2 = st.columns([3, 1])
        c1.text_input("Title", value=str(data.get("title", "")), key=wkey("title"))
        with c1:
            _field_error("title")
        c2.date_input("Assess as of", value=data.get("date"), key=wkey("date"), format="YYYY-MM-DD")
        with c2:
            _field_error("date")

        st.markdown("##### Parties")
        c1, c2 = st.columns(2)
        with c1:
            ex = (t.get("exporter") or {}).get("country", "")
            st.selectbox(
                "Exporting state",
                ["", *codes],
                index=(codes.index(ex) + 1) if ex in codes else 0,
                format_func=labels.get,
                key=wkey("exporter"),
            )
            _field_error("transfer.exporter.country")
            st.text_input(
                "Exporter (name)",
                value=(t.get("exporter") or {}).get("name", ""),
                key=wkey("exporter_name"),
                help="Leave empty to use the state's official name",
            )
            _field_error("transfer.exporter.name")
        with c2:
            rc = (t.get("recipient") or {}).get("country", "")
            st.selectbox(
                "Recipient state",
                ["", *codes],
                index=(codes.index(rc) + 1) if rc in codes else 0,
                format_func=labels.get,
                key=wkey("recipient"),
                help="Type to search. A recipient with a bundled profile pre-fills the country evidence.",
            )
            _field_error("transfer.recipient.country")
            st.text_input(
                "Recipient (name)",
                value=(t.get("recipient") or {}).get("name", ""),
                key=wkey("recipient_name"),
                help="Leave empty to use the state's official name",
            )
            _field_error("transfer.recipient.name")
        eu = t.get("end_user") or {}
        c1, c2, c3 = st.columns(3)
        types = list(v.END_USER_TYPES)
        with c1:
            st.selectbox(
                "End-user type",
                types,
                index=types.index(eu["type"]) if eu.get("type") in types else 0,
                format_func=v.END_USER_TYPES.get,
                key=wkey("end_user_type"),
            )
            _field_error("transfer.end_user.type")
        with c2:
            st.text_input("End user", value=eu.get("name", ""), key=wkey("end_user"))
            _field_error("transfer.end_user.name")
        with c3:
            st.text_input(
                "Receiving unit",
                value=eu.get("unit") or "",
                key=wkey("unit_name"),
                help="Name it where known",
            )
            _field_error("transfer.end_user.unit")

        st.markdown("##### Items")
        st.data_editor(
            frames["items"],
            num_rows="dynamic",
            column_config=ITEM_CONFIG,
            hide_index=True,
            key=wkey("items"),
            width="stretch",
        )
        _field_error("transfer.items")
        with st.expander("Item categories (controlled vocabulary)"):
            st.markdown(
                "**EU Military List:** " + "; ".join(f"{k} {md(x)}" for k, x in v.MILITARY_LIST.items())
            )
            st.markdown(
                "**Sensitivity:** " + "; ".join(f"`{k}` {md(s.title)}" for k, s in v.SENSITIVITY.items())
            )

        st.markdown("##### Use, channel and controls")
        st.text_input("Stated end use", value=t.get("end_use", ""), key=wkey("end_use"))
        _field_error("transfer.end_use")
        channels = list(v.CHANNELS)
        st.selectbox(
            "Transfer channel",
            channels,
            index=channels.index(t["channel"]) if t.get("channel") in channels else 0,
            format_func=v.CHANNELS.get,
            key=wkey("channel"),
        )
        _field_error("transfer.channel")
        st.multiselect(
            "Controls offered",
            list(v.CONTROLS),
            default=[c for c in t.get("controls") or [] if c in v.CONTROLS],
            format_func=v.CONTROLS.get,
            key=wkey("controls"),
        )
        _field_error("transfer.controls")
        if ARGUMENTS:
            st.multiselect(
                "Arguments put forward for approval (recorded; they never lower a risk)",
                list(ARGUMENTS),
                default=[x for x in t.get("arguments") or [] if x in ARGUMENTS],
                format_func=ARGUMENTS.get,
                key=wkey("arguments"),
            )
            _field_error("transfer.arguments")
        st.text_area("Briefing / notes", value=str(data.get("briefing", "")), key=wkey("briefing"), height=80)

        prof = catalog.profile_for(data)
        st.markdown("##### Evidence about the recipient state")
        st.caption(
            (
                f"Pre-filled from the profile of {md(prof.name)}. "
                if prof
                else "No bundled profile for this recipient: "
            )
            + "Edit any value to override it; an override is marked in the From column and in the answer. "
            "Missing evidence is never read as good news."
        )
        _evidence_editor("country", frames["country"])
        st.markdown("##### Evidence about the end-user unit")
        _evidence_editor("unit", frames["unit"])
        st.form_submit_button("Assess", type="primary", on_click=_submit)


def _evidence_editor(group: str, frame: pd.DataFrame) -> None:
    st.data_editor(
        frame,
        column_config=EVIDENCE_CONFIG,
        column_order=EVIDENCE_ORDER,
        hide_index=True,
        key=wkey(group),
        width="stretch",
    )
    _evidence_errors(group)


def _evidence_errors(group: str) -> None:
    for key, msgs in _errors().items():
        if key.startswith(f"evidence.{group}."):
            name = key.split(".", 2)[2]
            for msg in msgs:
                st.error(f"{name}: {msg}" if not msg.startswith(name) else msg, icon="⚠️")


# --- what if --------------------------------------------------------------------------------


@st.fragment
def whatif(ctx: Context, an: Analysis) -> None:
    """Tick controls on or off: the answer for that set of controls is shown at once."""
    base = an.assessment
    offered = set(((state.case().get("transfer") or {}).get("controls")) or [])
    credit: dict[str, str] = {}
    for m in base.mitigations:
        red = ", ".join(f"{k} -{x:g}" for k, x in m.reduces)
        credit[m.control] = f"{m.title}: lowers {red}" + (f" ({m.why})" if m.offered else "")
    st.markdown("#### Try controls")
    st.caption(
        "Tick or untick a control: the decision below is recomputed at once. Nothing is saved until you apply it "
        "(leaving this tab puts the ticks back to the controls of the transfer)."
    )
    cols = st.columns(2)
    chosen: list[str] = []
    for i, (code, words) in enumerate(v.CONTROLS.items()):
        tag = " (offered)" if code in offered else ""
        if cols[i % 2].checkbox(
            f"{words}{tag}",
            value=code in offered,
            key=wkey(f"whatif.{code}"),
            help=credit.get(
                code,
                "Not credited as a mitigation by this rule set; it may still satisfy a rebuttal condition.",
            ),
        ):
            chosen.append(code)
    a = base if set(chosen) == offered else override(ctx, {}, controls=frozenset(chosen))
    st.markdown(widgets.banner_html(a, prefix="With these controls: "), unsafe_allow_html=True)
    if a is base:
        st.caption("These are the controls offered in the transfer.")
        return
    moved = "unchanged" if a.decision == base.decision else f"was {DECISION_WORDS[base.decision]}"
    st.markdown(f"**Decision {md(moved)}.** " + md(a.summary.split(" | ")[0]))
    rows = []
    for c0, c1 in zip(base.criteria, a.criteria, strict=True):
        if abs(c0.residual - c1.residual) > 1e-9 or c0.level != c1.level:
            rows.append(
                {
                    "Criterion": f"{c1.refusal_code} {c1.title}",
                    "Residual before": c0.residual,
                    "Residual now": c1.residual,
                    "Level now": c1.level,
                }
            )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    for p0, p1 in zip(base.presumptions, a.presumptions, strict=True):
        if p1.applies == "does_not_apply":
            continue
        changed = [
            (i0, i1) for i0, i1 in zip(p0.rebuttal, p1.rebuttal, strict=True) if i0.status != i1.status
        ]
        for i0, i1 in changed:
            st.markdown(
                f"- Rebuttal: {md(i1.text)}: {widgets.STATUS_ICONS[i0.status]} → {widgets.STATUS_ICONS[i1.status]}"
            )
        st.markdown(f"Presumption {'rebutted' if p1.rebutted else 'not rebutted'} with these controls.")
    if st.button(
        "Use these controls in the transfer",
        key=wkey("whatif.apply"),
        on_click=_apply_controls,
        args=(chosen,),
    ):
        st.rerun()  # the whole page: the transfer changed


def _apply_controls(chosen: list[str]) -> None:
    data = state.case()
    new = {**data, "transfer": {**data["transfer"], "controls": list(chosen)}}
    origin = str(st.session_state.get(state.ORIGIN, ""))
    state.set_case(
        new, st.session_state[state.RULES], origin if origin.endswith("(edited)") else f"{origin} (edited)"
    )


# --- the memo -------------------------------------------------------------------------------


def memo_panel(cur: state.Current) -> None:
    an, built = cur.analysis(), cur.built
    assert built is not None and built.scenario is not None
    scenario, text = built.scenario, built.yaml_text
    name = forms.slug(an.assessment.scenario_id)
    st.markdown("#### Memo for the file")
    st.caption(
        "The decision, the transfer, every criterion and factor with evidence and citations, missing evidence, "
        "conditions, what would change the outcome, robustness, the provenance block and the input itself."
    )
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download memo (Markdown)",
        data=lambda: memo(an, "md", scenario, text),
        file_name=f"{name}-memo.md",
        mime="text/markdown",
        on_click="ignore",
        key="memo.md",
    )
    c2.download_button(
        "Download memo (printable HTML)",
        data=lambda: memo(an, "html", scenario, text),
        file_name=f"{name}-memo.html",
        mime="text/html",
        on_click="ignore",
        key="memo.html",
    )
    if st.toggle("Show the memo here", key="memo.preview"):
        st.markdown(memo(an, "md", scenario, text))
    with st.expander("The input as a scenario file (YAML)"):
        st.code(text, language="yaml")
    rid = st.session_state.get(state.LAST_RECORD)
    if rid:
        st.caption(f"Recorded in the history as assessment #{rid}.")


# --- the page -------------------------------------------------------------------------------


TABS = ("Transfer", "Why", "What would change it", "Missing evidence", "Robustness", "Memo")
TAB_KEY = "assess.tab"


def _why(cur: state.Current) -> None:
    a = cur.assessment
    assert a is not None
    p = a.provenance
    widgets.explanation(a, state.chart_specs(f"{p.rules_sha256}:{p.input_sha256}:{p.as_of}", a))


def _changes(cur: state.Current) -> None:
    assert cur.ctx is not None
    an = cur.analysis()
    widgets.counterfactual_list(an)
    whatif(cur.ctx, an)


# Every tab but the form runs only while it is open (st.tabs with on_change="rerun"): the answer
# and the form come back at once, and the analysis (0.1-0.3 s of CPU per new case) is computed
# when a tab that shows it is opened. Ten sessions assessing at once then share one interpreter
# for the answers only. The form always runs, so that text typed but not yet submitted survives
# a look at another tab.
LAZY_TABS = {
    "Why": _why,
    "What would change it": _changes,
    "Missing evidence": lambda cur: widgets.missing(cur.analysis()),
    "Robustness": lambda cur: widgets.robustness(cur.analysis()),
    "Memo": memo_panel,
}


def page() -> None:
    start_panel()
    st.title("Assess a transfer")
    notice = st.session_state.pop(state.NOTICE, None)
    if notice:
        st.info(notice)
    cur = state.current()
    a = cur.assessment
    if cur.rules is None:
        st.error("The rule set cannot be used:\n\n" + "\n\n".join(f"`{md(x)}`" for x in cur.rules_errors))
    elif a is None:
        if state.case().get("id") == "new-transfer" and not _errors():
            st.info("Describe the transfer in the form below and press **Assess**.")
        else:
            st.warning("This transfer cannot be assessed yet: see the fields marked in the form.")
            if not _errors() and cur.built is not None:
                st.session_state[state.ERRORS] = cur.built.errors
    else:
        st.caption(
            f"{md(a.scenario_title)} · rule set {md(a.provenance.rule_set_title)} · as of {a.provenance.as_of}"
        )
        widgets.answer(a)
        try:
            state.record_once(cur)
        except Exception as exc:  # the answer still stands; say why it was not recorded
            st.warning(f"This assessment could not be recorded in the history: {exc}")
        if not st.session_state.get(state.RECORD):
            st.caption(
                "Not recorded: this is the scenario the app opens on. Press **Assess** or load a case to "
                "record an assessment in the history."
            )
    if a is None:
        with st.tabs(TABS[:1])[0]:
            transfer_form()
        return
    tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
    with tabs[0]:
        transfer_form()
    for name, tab in zip(TABS[1:], tabs[1:], strict=True):
        if tab.open:
            with tab:
                LAZY_TABS[name](cur)
