"""The transfer form on the Assess page: parties, items, use, controls, the evidence tables; errors at the field."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from riskcheck import vocabulary as v
from riskcheck.app import catalog, evidence_rows, forms, state
from riskcheck.app.widgets import md
from riskcheck.facts import field_label

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
    "transfer.kind",
    "transfer.holder.country",
    "transfer.holder.name",
)
ARGUMENTS: dict[str, str] = getattr(v, "ARGUMENTS", {})


# --- the form -----------------------------------------------------------------------------


def errors() -> dict[str, list[str]]:
    return st.session_state.get(state.ERRORS) or {}


def _field_error(name: str) -> None:
    for msg in errors().get(name, []):
        st.error(msg, icon="⚠️")


def _evidence_frame(rows: list[dict[str, Any]], group: str) -> pd.DataFrame:
    df = pd.DataFrame(
        [
            {
                "indicator": r["indicator"],
                "title": field_label(f"{group}.{r['indicator']}"),
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


# Widths in pixels so that every column fits the main area of a 1280-pixel-wide window beside the
# sidebar (about 818 px): nothing is cut off at the right. What each indicator means is listed below
# the table (a long text column would not fit).
EVIDENCE_CONFIG = {
    "title": st.column_config.TextColumn("Indicator", disabled=True, width=200),
    "value": st.column_config.TextColumn(
        "Value", help="yes/no, a number, or one of the listed values", width=70
    ),
    "confidence": st.column_config.SelectboxColumn(
        "Confidence", options=list(evidence_rows.CONFIDENCES), width=100
    ),
    "origin": st.column_config.TextColumn(
        "From", disabled=True, help="profile · override (replaces the profile) · entered · missing", width=70
    ),
    "source": st.column_config.TextColumn("Source", width=150),
    "as_of": st.column_config.DateColumn("As of", format="YYYY-MM-DD", width=95),
    "alternatives": st.column_config.TextColumn(
        "Other readings", help="For contested values, comma-separated", width=110
    ),
}
EVIDENCE_ORDER = ["title", "value", "confidence", "origin", "source", "as_of", "alternatives"]
ITEM_CONFIG = {
    "description": st.column_config.TextColumn("Description", required=True, width=120),
    "ml_category": st.column_config.SelectboxColumn(
        "Military List",
        options=list(v.MILITARY_LIST),
        format_func=lambda c: f"{c} {v.MILITARY_LIST.get(str(c), '')}"[:60],
        width=110,
    ),
    "att_category": st.column_config.SelectboxColumn(
        "ATT category", options=list(v.ATT_CATEGORIES), width=105
    ),
    "sensitivity": st.column_config.SelectboxColumn(
        "Sensitivity",
        options=list(v.SENSITIVITY),
        format_func=lambda c: v.SENSITIVITY[c].title if c in v.SENSITIVITY else str(c),
        width=105,
    ),
    "capability": st.column_config.SelectboxColumn(
        "For",
        help="What the items are for: the criteria read it (empty: not stated, and they refer the case)",
        options=list(v.CAPABILITIES),
        format_func=lambda c: v.CAPABILITIES[c].title if c in v.CAPABILITIES else str(c),
        width=110,
    ),
    "model": st.column_config.TextColumn("Model", width=55),
    "quantity": st.column_config.NumberColumn("Quantity", min_value=1, step=1, format="%d", width=75),
    "value_eur": st.column_config.NumberColumn("Value (EUR)", min_value=0, format="%,.0f", width=100),
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
    country = forms.apply_editor_state(ss[wkey("rows.country")], ss.get(editor_key("country")))
    unit = forms.apply_editor_state(ss[wkey("rows.unit")], ss.get(editor_key("unit")))
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
        transfer_kind=ss[wkey("transfer_kind")],
        holder_country=ss[wkey("holder_country")] or "",
        holder_name=ss[wkey("holder_name")],
        holder_record=ss[wkey("holder_record")],
    )
    old_recipient = ((data.get("transfer") or {}).get("recipient") or {}).get("country")
    # the country rows already show the chosen recipient's profile (see states): keep what was typed in them
    new = forms.apply_form(shown_case(data), f, rules_id)
    built = forms.build(new, item_rows=forms.item_table_rows(items))
    if not built.ok:
        ss[state.ERRORS] = built.errors
        return
    origin = str(ss.get(state.ORIGIN, ""))
    state.set_case(new, ss[state.RULES], origin if origin.endswith("(edited)") else f"{origin} (edited)")
    ss[state.SHOW_ANSWER] = True  # the button is at the bottom of a long form; the answer is at the top
    if old_recipient and old_recipient != f.recipient_country:
        ss[state.NOTICE] = (
            f"The recipient changed to {catalog.country_name(f.recipient_country)}: its country evidence now comes "
            "from its profile"
            + (" (none is bundled: enter the evidence below)." if "profile" not in new["evidence"] else ".")
        )


def _profile_key(code: str) -> str:
    """The kind-of-recipient picker's key: one per recipient state (its options are that state's profiles)."""
    return wkey(f"profile.{code}")


def shown_case(data: dict[str, Any]) -> dict[str, Any]:
    """The case with the recipient and the kind of recipient chosen above the form (chosen, not yet
    assessed)."""
    chosen = st.session_state.get(wkey("recipient"))
    rc = ((data.get("transfer") or {}).get("recipient") or {}).get("country", "")
    out = forms.change_recipient(data, chosen) if chosen is not None and chosen != rc else data
    code = chosen if chosen is not None else rc
    picked = st.session_state.get(_profile_key(code or ""))
    ev = out.get("evidence") or {}
    if picked and picked != ev.get("profile") and picked in {p.rel for p in catalog.recipient_profiles(code)}:
        out = {**out, "evidence": {**{k: x for k, x in ev.items() if k != "country"}, "profile": picked}}
    return out


def editor_key(group: str) -> str:
    """An evidence table's key; the country table's changes with the recipient chosen (new rows)."""
    return wkey(f"{group}.{st.session_state.get(wkey('country.for'), '')}" if group == "country" else group)


def states(data: dict[str, Any]) -> None:
    """The exporting and recipient states, outside the form: choosing a recipient fills the country
    evidence from its profile at once, before anything is assessed (also after a refused submission)."""
    t = data.get("transfer") or {}
    codes: list[str] = [c.code for c in catalog.countries()]
    labels = {c.code: c.label for c in catalog.countries()}
    labels[""] = "(choose a state)"
    st.markdown("##### Parties")
    c1, c2 = st.columns(2)
    for col, role, label, key, help_ in (
        (c1, "exporter", "Exporting state", "exporter", "Type to search."),
        (
            c2,
            "recipient",
            "Recipient state",
            "recipient",
            "Type to search. A recipient with a bundled profile fills the country evidence below at once.",
        ),
    ):
        code = (t.get(role) or {}).get("country", "")
        with col:
            st.selectbox(
                label,
                ["", *codes],
                index=(codes.index(code) + 1) if code in codes else 0,
                format_func=labels.__getitem__,
                key=wkey(key),
                help=help_,
            )
            _field_error(f"transfer.{role}.country")
    ss = st.session_state
    chosen = ss.get(wkey("recipient")) or ""
    kinds = catalog.recipient_profiles(chosen) if chosen else []
    if len(kinds) > 1:  # a state and a group or region in it, each with its own profile
        current = (forms.change_recipient(data, chosen).get("evidence") or {}).get("profile")
        rels = [p.rel for p in kinds]
        names = {p.rel: f"{v.PROFILE_KINDS[p.kind].split(' (')[0]}: {p.name}" for p in kinds}
        st.selectbox(
            "Kind of recipient",
            rels,
            index=rels.index(current) if current in rels else 0,
            format_func=names.__getitem__,
            key=_profile_key(chosen),
            help="A non-state armed group or a regional authority is read on its own profile; the state's "
            "profile still gives the country facts.",
        )
    marker = f"{chosen}|{ss.get(_profile_key(chosen)) or ''}"
    if ss.get(wkey("country.for")) != marker:  # a new recipient: its profile's rows, a fresh table
        ss[wkey("rows.country")] = evidence_rows.evidence_rows(shown_case(data), "country")
        ss[wkey("frames")]["country"] = _evidence_frame(ss[wkey("rows.country")], "country")
        ss[wkey("country.for")] = marker


def transfer_form() -> None:
    data = state.case()
    t = data.get("transfer") or {}
    ss = st.session_state
    if wkey("frames") not in ss:  # once per loaded case: the keys go with the version
        rc = (t.get("recipient") or {}).get("country", "")
        ss[wkey("country.for")] = f"{rc}|{(data.get('evidence') or {}).get('profile') or ''}"
        ss[wkey("rows.items")] = forms.item_rows(data)
        ss[wkey("rows.country")] = evidence_rows.evidence_rows(data, "country")
        ss[wkey("rows.unit")] = evidence_rows.evidence_rows(data, "unit")
        ss[wkey("frames")] = {
            "items": pd.DataFrame(ss[wkey("rows.items")], columns=list(forms.ITEM_COLUMNS)),
            "country": _evidence_frame(ss[wkey("rows.country")], "country"),
            "unit": _evidence_frame(ss[wkey("rows.unit")], "unit"),
        }
    frames = ss[wkey("frames")]
    states(data)
    shown = errors()
    with st.form(wkey("form"), border=False):
        if shown:
            st.error("The transfer could not be assessed: please correct the fields marked below.", icon="⚠️")
            for key, msgs in shown.items():
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

        st.markdown("##### Names of the parties")
        for col, role, label in zip(
            st.columns(2), ("exporter", "recipient"), ("Exporter", "Recipient"), strict=True
        ):
            with col:
                st.text_input(
                    f"{label} (name)",
                    value=(t.get(role) or {}).get("name", ""),
                    key=wkey(f"{role}_name"),
                    help="Leave empty to use the state's official name",
                )
                _field_error(f"transfer.{role}.name")
        eu = t.get("end_user") or {}
        c1, c2, c3 = st.columns(3)
        types = list(v.END_USER_TYPES)
        with c1:
            st.selectbox(
                "End-user type",
                types,
                index=types.index(eu["type"]) if eu.get("type") in types else 0,
                format_func=lambda x: v.END_USER_TYPES.get(x, x),
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
            format_func=lambda x: v.CHANNELS.get(x, x),
            key=wkey("channel"),
        )
        _field_error("transfer.channel")
        st.multiselect(
            "Controls offered",
            list(v.CONTROLS),
            default=[c for c in t.get("controls") or [] if c in v.CONTROLS],
            format_func=lambda x: v.CONTROLS.get(x, x),
            key=wkey("controls"),
        )
        _field_error("transfer.controls")
        if ARGUMENTS:
            st.multiselect(
                "Arguments put forward for approval (recorded; they never lower a risk)",
                list(ARGUMENTS),
                default=[x for x in t.get("arguments") or [] if x in ARGUMENTS],
                format_func=lambda x: ARGUMENTS.get(x, x),
                key=wkey("arguments"),
            )
            _field_error("transfer.arguments")
        st.markdown("##### Export or consent to re-export")
        kinds = list(v.TRANSFER_KINDS)
        holder = t.get("holder") or {}
        st.selectbox(
            "Request",
            kinds,
            index=kinds.index(t.get("kind", "export")) if t.get("kind", "export") in kinds else 0,
            format_func=lambda x: v.TRANSFER_KINDS.get(x, x).split(":")[0],
            key=wkey("transfer_kind"),
            help="A consent to re-export is assessed against the new end user and destination above; the "
            "holder's record is diversion evidence.",
        )
        _field_error("transfer.kind")
        h1, h2, h3 = st.columns(3)
        codes = [c.code for c in catalog.countries()]
        labels = {c.code: c.label for c in catalog.countries()}
        labels[""] = "(for a re-export consent)"
        with h1:
            st.selectbox(
                "Holder (state asking consent)",
                ["", *codes],
                index=(codes.index(holder["country"]) + 1) if holder.get("country") in codes else 0,
                format_func=labels.__getitem__,
                key=wkey("holder_country"),
            )
            _field_error("transfer.holder.country")
        with h2:
            st.text_input("Holder (name)", value=holder.get("name", ""), key=wkey("holder_name"))
            _field_error("transfer.holder.name")
        with h3:
            records = list(forms.HOLDER_RECORDS)
            st.selectbox(
                "The holder's record",
                records,
                index=records.index(forms.holder_record_of(holder or None)),
                format_func=forms.HOLDER_RECORDS.__getitem__,
                key=wkey("holder_record"),
            )
        st.text_area("Briefing / notes", value=str(data.get("briefing", "")), key=wkey("briefing"), height=80)

        prof = catalog.profile_for(shown_case(data))
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
        key=editor_key(group),
        width="stretch",
    )
    _evidence_errors(group)
    _glossary(group)


def _glossary(group: str) -> None:
    with st.expander(f"What each {'country' if group == 'country' else 'unit'} indicator means"):
        st.markdown(
            "\n".join(
                f"- **{md(field_label(f'{group}.{k}'))}**: {md(s.description)}"
                + (f" ({', '.join(s.values)})" if s.values else "")
                for k, s in evidence_rows.GROUPS[group].items()
            )
        )


def _evidence_errors(group: str) -> None:
    for key, msgs in errors().items():
        if key.startswith(f"evidence.{group}."):
            for msg in msgs:  # each names its indicator (form_errors)
                st.error(msg, icon="⚠️")
