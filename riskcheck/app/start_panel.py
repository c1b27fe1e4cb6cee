"""The Assess page's sidebar: start from a bundled scenario, a saved assessment, a file or a blank form; the rule set."""

from __future__ import annotations

import streamlit as st

from riskcheck.app import catalog, state, upload
from riskcheck.app.widgets import md

wkey = state.wkey


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
