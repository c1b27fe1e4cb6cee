"""The rule-file editor: live validation at the lines, impact preview, safe save, and the edit log.

The text being edited lives in ``rc.rule_drafts[name]`` (our own session key, never only in a
widget key): ``text`` as last typed, ``orig`` and ``base`` (the text and sha256 the edit started
from), ``gen`` (bumped to reseed the text box), ``conflict`` (set when a save was refused because
the file changed meanwhile). Nothing typed is dropped when validation fails or a save is refused.

Every save goes through :func:`riskcheck.rule_edits.save` after the access check is made again
in the callback, whatever the page showed when it was drawn.
"""

from __future__ import annotations

import difflib
import html
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from riskcheck import rule_edits
from riskcheck.app import access, auth_ui, code_box, state
from riskcheck.app.widgets import md, table_height
from riskcheck.diff import DiffReport
from riskcheck.errors import InputError, UsageError
from riskcheck.explain.words import DECISION_WORDS

DRAFTS, MESSAGES, IMPACTS = "rc.rule_drafts", "rc.rule_messages", "rc.rule_impacts"
MAX_SHOWN = 20
MAX_DIFF_LINES = 400
GOTO, GOTO_COUNT = "rc.rules_goto", "rc.rules_goto_count"


# --- the draft ------------------------------------------------------------------------------


def _copy_state(previous_copy: str | None) -> str:
    if not previous_copy:
        return ""
    exists = (rule_edits.folder_of(None) / previous_copy).is_file()
    return previous_copy if exists else f"{previous_copy} (pruned: the text is in this record)"


def _fresh(text: str, gen: int = 0) -> dict[str, Any]:
    return {"text": text, "orig": text, "base": rule_edits.sha256_text(text), "gen": gen, "conflict": None}


def draft(name: str, path: Path) -> dict[str, Any]:
    drafts: dict[str, dict[str, Any]] = st.session_state.setdefault(DRAFTS, {})
    if name not in drafts:
        drafts[name] = _fresh(rule_edits.read_current(path) or "")
    return drafts[name]


def editor_key(name: str, d: dict[str, Any]) -> str:
    return f"rules.editor.{name}.{d['gen']}"


def reason_key(name: str, d: dict[str, Any]) -> str:
    return f"rules.reason.{name}.{d['gen']}"


def _say(name: str, kind: str, text: str) -> None:
    st.session_state.setdefault(MESSAGES, {})[name] = (kind, text)


def _reload(name: str) -> None:
    """Discard the draft and start again from the file as it is now."""
    path = rule_edits.resolve_rule_file(name)
    old = st.session_state[DRAFTS][name]
    st.session_state[DRAFTS][name] = _fresh(rule_edits.read_current(path) or "", old["gen"] + 1)


def _rebase(name: str) -> None:
    """After a conflict: keep the text, and compare it with (and save it over) the file as it is now."""
    d = st.session_state[DRAFTS][name]
    path = rule_edits.resolve_rule_file(name)
    current = rule_edits.read_current(path) or ""
    d["orig"], d["base"], d["conflict"] = current, rule_edits.sha256_text(current), None
    _say(
        name,
        "info",
        "Your text is now compared with the file as it is now. Check the impact below: saving replaces "
        "the other change with your text.",
    )


def save_text(
    name: str, text: str, base_sha256: str, reason: str, channel: str | None = None
) -> rule_edits.Saved | None:
    """Save ``text`` as rule file ``name`` if the user may, the text is valid and the file is still the
    one it started from; say why not otherwise. The access check is made again here, whatever the page
    showed when it was drawn."""
    allowed, who, _ = auth_ui.can_edit_rules()
    if not allowed or who.user is None:
        _say(channel or name, "error", f"Not saved: {allowed.reason}")
        return None
    try:
        saved = rule_edits.save(
            name,
            text,
            base_sha256=base_sha256,
            user=who.user,
            auth=who.via,
            reason=reason,
            history=state.store(),
        )
    except rule_edits.Conflict:
        raise
    except InputError as e:
        _say(
            channel or name,
            "error",
            f"Not saved: the text has {len(e.diagnostics)} problem(s). Your text is kept.",
        )
        return None
    except (UsageError, rule_edits.Busy) as e:
        _say(channel or name, "error", f"Not saved: {e}.")
        return None
    except Exception as e:  # e.g. the history database cannot be written: rule_edits put the file back
        _say(
            channel or name,
            "error",
            f"Not saved: the edit could not be recorded ({e.__class__.__name__}: {e}); the file was left as "
            "it was. Your text is kept.",
        )
        return None
    kept = f"; the previous version is kept as `{saved.previous_copy.name}`" if saved.previous_copy else ""
    _say(
        channel or name,
        "success",
        f"Saved {name} (sha256 {saved.sha256_after[:12]}){kept}; recorded as rule edit #{saved.edit.id} "
        f"by {saved.edit.user}." + "".join(f" Note: {w}." for w in saved.warnings),
    )
    st.session_state["rc.rules_saved"] = True
    return saved


def _save(name: str) -> None:
    d = st.session_state[DRAFTS][name]
    typed = code_box.typed(editor_key(name, d))
    text = typed if typed is not None else d["text"]
    d["text"] = text
    try:
        saved = save_text(name, text, d["base"], st.session_state.get(reason_key(name, d), ""))
    except rule_edits.Conflict as e:
        d["conflict"] = {"current": e.current_sha256, "message": str(e)}  # the editor explains it
        return
    if saved is not None:
        st.session_state[DRAFTS][name] = _fresh(text, d["gen"] + 1)


# --- rendering ------------------------------------------------------------------------------


def text_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    lines = list(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name, n=2
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"... {len(lines) - MAX_DIFF_LINES} more lines\n"]
    return "".join(x if x.endswith("\n") else x + "\n" for x in lines)


def _goto(line: int) -> None:
    st.session_state[GOTO] = (line, st.session_state.get(GOTO_COUNT, 0))
    st.session_state[GOTO_COUNT] = st.session_state.get(GOTO_COUNT, 0) + 1


def problems(checked: rule_edits.Checked, name: str | None = None) -> None:
    """Every problem at its line, with the lines around it (what ``riskcheck check`` prints); with
    ``name`` (the editor is on the page) a button beside each moves the editor to its line."""
    if checked.errors:
        n = len(checked.errors)
        st.error(
            f"{n} problem{'s' if n != 1 else ''}: this text cannot be saved until "
            f"{'they are' if n != 1 else 'it is'} fixed. Your text is kept as typed."
        )
        for i, dg in enumerate(checked.errors[:MAX_SHOWN]):
            loc = dg.location
            c1, c2 = st.columns([5, 1])
            c1.markdown(f"**Line {loc.line}, column {loc.col}** · `{dg.code}` {md(dg.message)}")
            if name is not None and loc.line:
                c2.button(
                    f"Go to line {loc.line}",
                    key=f"rules.goto.{name}.{i}",
                    on_click=_goto,
                    args=(loc.line,),
                )
            st.code(rule_edits.excerpt(checked.text, loc.line), language=None)
        if n > MAX_SHOWN:
            st.caption(f"... and {n - MAX_SHOWN} more (`riskcheck check` lists them all).")
    for dg in checked.warnings[:MAX_SHOWN]:
        st.warning(f"Line {dg.location.line}: {dg.code} {md(dg.message)}", icon=":material/warning:")


def _impact(name: str, path: Path, checked: rule_edits.Checked) -> DiffReport | None:
    try:
        old = state.load_rules_cached(path)
    except InputError:
        st.warning("The file as saved has errors, so the edit cannot be compared with it.")
        return None
    assert checked.loaded is not None
    key = f"{name}:{old.sha256}:{checked.sha256}"
    cache: dict[str, DiffReport] = st.session_state.setdefault(IMPACTS, {})
    if key not in cache:
        with st.spinner("Replaying every scenario under both versions..."):
            while len(cache) >= 2:  # the editor's preview and a restore's: a few MB each, not more
                cache.pop(next(iter(cache)))
            cache[key] = rule_edits.impact(old, checked.loaded)
    return cache[key]


def impact_table(report: DiffReport) -> pd.DataFrame:
    """One row per scenario whose outcome changes: the compact view read before the details."""
    return pd.DataFrame(
        [
            {
                "Scenario": s.scenario_id,
                "Decision now": DECISION_WORDS[s.old_decision],
                "Decision after": DECISION_WORDS[s.new_decision],
                "Refusal codes now": ", ".join(s.old_codes) or "none",
                "Refusal codes after": ", ".join(s.new_codes) or "none",
            }
            for s in report.scenario_changes
        ],
        columns=["Scenario", "Decision now", "Decision after", "Refusal codes now", "Refusal codes after"],
    )


def impact_preview(report: DiffReport, heading: str = "What this edit changes") -> None:
    n = len(report.scenario_changes)
    st.markdown(f"#### {heading}: {n} of {n + report.unchanged} scenarios change outcome")
    if not n:
        st.markdown("None of the scenarios changes decision or refusal codes.")
    else:
        st.dataframe(impact_table(report), hide_index=True, width="stretch", height=table_height(n))
    for s in report.scenario_changes:
        st.markdown(
            f'<div data-testid="rc-impact" data-scenario="{html.escape(s.scenario_id, quote=True)}" data-old="{s.old_decision}" '
            f'data-new="{s.new_decision}"></div>',
            unsafe_allow_html=True,
        )
    st.markdown("##### In the rules")
    if not report.rule_changes:
        st.markdown("No change in what the rules say (layout or comments only).")
    for c in report.rule_changes:
        st.markdown(f"- **{c.change}** `{c.where}`: {md(c.detail)}")
    if n:
        st.markdown("##### Why each scenario changes")
    for s in report.scenario_changes:
        with st.expander(f"Why {s.scenario_id} changes"):
            st.code("\n".join(s.why), language="diff")
    for e in report.errors:
        st.warning(f"Scenario not replayed: {md(e)}")


def _version_hint(path: Path, checked: rule_edits.Checked, report: DiffReport) -> None:
    """A change in what the rules say should carry a new version and a CHANGELOG entry."""
    assert checked.loaded is not None
    try:
        saved = state.load_rules_cached(path).model.version
    except InputError:
        return
    if report.rule_changes and checked.loaded.model.version == saved:
        st.info(
            f"The version is still {md(saved)}: assessments made after saving would carry the same version "
            "with a different sha256. Consider raising `version` and adding an entry to rules/CHANGELOG.md "
            "(what changed, which criteria, effective from).",
            icon=":material/tag:",
        )


@st.fragment
def editor(name: str, path: Path) -> None:
    """Edit, check, preview and save one rule file (a fragment: typing reruns only this part)."""
    if st.session_state.pop("rc.rules_saved", False):
        st.rerun(scope="app")  # the Read tab and the rule-set titles show the saved file
    d = draft(name, path)
    allowed, who, _settings = auth_ui.can_edit_rules()
    problem = rule_edits.folder_problem(path.parent)
    if problem and allowed:
        allowed = access.Decision(False, problem[:1].upper() + problem[1:] + ".")
    current = rule_edits.read_current(path) or ""
    current_sha = rule_edits.sha256_text(current)
    if d["base"] != current_sha and not d["conflict"] and d["text"] == d["orig"]:
        st.session_state[DRAFTS][name] = d = _fresh(current, d["gen"] + 1)  # untouched: follow the file
    if allowed:
        st.caption(f":material/edit: You may save edits ({md(allowed.reason)}).")
    else:
        st.warning(f"You can try an edit and see its impact, but not save it: {md(allowed.reason)}")
    message = st.session_state.get(MESSAGES, {}).pop(name, None)
    if message:
        getattr(st, message[0])(message[1])
    if d["conflict"]:
        st.error(
            f"Not saved: someone else saved {md(name)} after you started editing ({md(d['conflict']['message'])}). "
            "Your text is kept in the editor. Below: what saving your text would change in the file as it is now."
        )
        with st.expander("Your text against the file as it is now", expanded=True):
            st.code(text_diff(current, d["text"], f"{name} (now)", f"{name} (yours)"), language="diff")
        c1, c2, c3 = st.columns(3)
        c1.button(
            "Keep my text and review it against the file now",
            key=f"rules.rebase.{name}",
            on_click=_rebase,
            args=(name,),
        )
        c2.download_button(
            "Download my text", d["text"], file_name=f"{name}.mine.yaml", key=f"rules.mine.{name}"
        )
        c3.button(
            "Discard my text and load the file", key=f"rules.discard.{name}", on_click=_reload, args=(name,)
        )
    elif d["base"] != current_sha:
        st.warning(
            f"{md(name)} was changed by someone else since you started editing: saving will be refused."
        )
    key = editor_key(name, d)
    text = code_box.typed(key)
    if text is not None:
        d["text"] = text
    text = d["text"]
    checked = rule_edits.check_text(text, path)
    changed = text != current
    st.caption(
        f"{md(name)} (YAML): checked as you type. Problems are marked at their lines; "
        "Ctrl+L goes to a line, Ctrl+F finds."
    )
    code_box.yaml_editor(text, key, checked.problems)
    goto = code_box.goto_request(GOTO)
    if goto:
        code_box.go_to_line(*goto)
    st.markdown("#### Check")
    if checked.ok and not checked.warnings:
        st.success("Valid: no problem found." if changed else "Valid. No change yet.")
    elif checked.ok:
        st.success("Valid, with warnings (lint): it can be saved.")
    problems(checked, name)
    if checked.ok and changed:
        report = _impact(name, path, checked)
        if report is not None:
            impact_preview(report)
            _version_hint(path, checked, report)
        with st.expander("Text changes"):
            st.code(text_diff(current, text, f"{name} (saved)", f"{name} (edited)"), language="diff")
    st.markdown("#### Save")
    st.text_input(
        "Why this change (recorded with your name, the time and both versions' sha256)",
        key=reason_key(name, d),
        max_chars=500,
    )
    can_save = bool(allowed) and checked.ok and changed
    c1, c2 = st.columns([1, 4])
    c1.button(
        "Save",
        key=f"rules.save.{name}",
        type="primary",
        disabled=not can_save,
        on_click=_save,
        args=(name,),
    )
    c2.button(
        "Discard my changes", key=f"rules.reset.{name}", on_click=_reload, args=(name,), disabled=not changed
    )
    if not checked.ok:
        st.caption("Save is off until the problems above are fixed.")
    elif not changed:
        st.caption("Save is off: the text is the file as saved.")


def _restore(name: str, text: str, base_sha256: str, reason_key_: str) -> None:
    try:
        save_text(name, text, base_sha256, st.session_state.get(reason_key_, ""))
    except rule_edits.Conflict as e:
        _say(
            name,
            "error",
            f"Not restored: {e}. Look at the preview again and restore once more if you still want to.",
        )


def restore_panel(name: str, edits: list[Any]) -> None:
    """Undo an edit in one step: the version before it, its impact on every scenario, a reason, Restore."""
    st.markdown("#### Restore an earlier version")
    message = st.session_state.get(MESSAGES, {}).pop(f"{name}#restore", None)
    if message:
        getattr(st, message[0])(message[1])
    undoable = [e for e in edits if e.text_before is not None]
    if not undoable:
        st.caption(f"No saved edit of {md(name)} has a version before it to restore.")
        return
    labels = {
        e.id: f"The version before edit #{e.id} ({e.created_at:%Y-%m-%d %H:%M} UTC, {e.user}: {e.reason[:60]})"
        for e in undoable
    }
    chosen = st.selectbox(
        "Version",
        list(labels),
        format_func=labels.__getitem__,
        key=f"rules.restore.{name}",
        label_visibility="collapsed",
    )
    edit = next(e for e in undoable if e.id == chosen)
    path = rule_edits.resolve_rule_file(name)
    current = rule_edits.read_current(path) or ""
    if edit.text_before == current:
        st.info("The file is this version now: nothing to restore.")
        return
    checked = rule_edits.check_text(edit.text_before, path)
    if not checked.ok:
        st.warning("This version does not pass today's checks, so it cannot be restored as it is:")
        problems(checked)
        return
    report = _impact(name, path, checked)
    if report is not None:
        impact_preview(report, heading="What restoring it changes")
    with st.expander("Text changes"):
        st.code(text_diff(current, edit.text_before, f"{name} (now)", f"{name} (restored)"), language="diff")
    rkey = f"rules.restore.reason.{name}.{edit.id}"
    if rkey not in st.session_state:
        st.session_state[rkey] = f"Restore the version before edit #{edit.id} ({edit.reason[:200]})"
    st.text_input("Why (recorded with the restore)", key=rkey, max_chars=500)
    allowed, _, _ = auth_ui.can_edit_rules()
    st.button(
        f"Restore the version before edit #{edit.id}",
        key=f"rules.restore.go.{name}",
        type="primary",
        disabled=not allowed,
        on_click=_restore,
        args=(name, edit.text_before, rule_edits.sha256_text(current), rkey),
        help=None if allowed else allowed.reason,
    )


def edit_log(name: str) -> None:
    store = state.store()
    only = st.toggle("Only this file", value=True, key="rules.log.only")
    try:
        keep = rule_edits.kept_versions()
        st.caption(
            f"`.versions` keeps the newest {keep or 'all'} copies of each file; "
            "every edit's record below holds the full text before and after it."
        )
    except UsageError as exc:  # saving refuses it too, before writing anything
        st.error(str(exc))
    edits = store.rule_edits(rule_file=name if only else None)
    if not edits:
        st.caption("No rule edit has been saved from the app yet.")
    else:
        rows = [
            {
                "#": e.id,
                "When (UTC)": e.created_at.strftime("%Y-%m-%d %H:%M"),
                "Who": e.user,
                "Why": e.reason,
                "File": e.rule_file,
                "Version": f"{e.version_before or '(new)'} → {e.version_after}",
                "sha256 before": (e.sha256_before or "")[:12],
                "sha256 after": e.sha256_after[:12],
                "Previous version kept as": _copy_state(e.previous_copy),
            }
            for e in edits
        ]
        st.dataframe(rows, hide_index=True, width="stretch")
        st.download_button(
            "Download the edit log (CSV)",
            data=lambda: rule_edits.edits_csv(edits),
            file_name="rule-edits.csv",
            mime="text/csv",
            on_click="ignore",
            key="rules.log.csv",
        )
        for e in edits[:10]:
            with st.expander(f"#{e.id} {e.created_at:%Y-%m-%d %H:%M} UTC · {e.user} · {e.reason[:60]}"):
                st.code(
                    text_diff(
                        e.text_before or "", e.text_after, f"{e.rule_file} (before)", f"{e.rule_file} (after)"
                    ),
                    language="diff",
                )
    if edits:
        restore_panel(name, [e for e in edits if e.rule_file == name])
    report = next(r for r in store.check() if r.table == "rule_edits")
    if report.ok:
        st.caption(f"{report.rows} rule edits recorded; hash chain intact.")
    else:
        st.error("The rule-edit log's hash chain is broken: " + " ".join(report.lines()[1:]))
