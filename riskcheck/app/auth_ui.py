"""The deployment's access settings inside the app: read them, identify the user, gate the pages.

The rules themselves are in :mod:`riskcheck.app.access` (pure, unit-tested); this module only
gathers what they need from Streamlit: the environment and ``st.secrets`` (settings),
``st.user`` (OpenID Connect), ``st.context.headers`` (a reverse proxy's user header) and the
server's address.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Iterable, Sequence
from typing import Any

import streamlit as st

from ..history import History, Record
from . import access
from .widgets import md


def _secrets() -> dict[str, Any]:
    try:
        section = st.secrets.get(access.SECRETS_SECTION)
    except Exception:  # no secrets.toml at all, or one that does not parse: no settings from it
        return {}
    return {access.SECRETS_SECTION: dict(section)} if section else {}


def settings() -> access.Settings:
    return access.load_settings(os.environ, _secrets())


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user name on this system
        return "local user"


def identity(s: access.Settings) -> access.Identity:
    oidc: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    if s.auth == "oidc":
        try:
            oidc = dict(st.user.to_dict())
        except Exception:
            oidc = {}
    elif s.auth == "proxy":
        try:
            headers = dict(st.context.headers)
        except Exception:
            headers = {}
    return access.identify(s, oidc_user=oidc, headers=headers, local_user=_local_user())


def is_local() -> bool:
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    address = st.get_option("server.address")
    return access.is_local(address if isinstance(address, str) else None, ip if isinstance(ip, str) else None)


def can_edit_rules() -> tuple[access.Decision, access.Identity, access.Settings]:
    """Checked again at every save, whatever the page showed."""
    s = settings()
    who = identity(s)
    return access.can_edit_rules(s, who, local=is_local()), who, s


def _login(s: access.Settings) -> None:
    try:
        if s.oidc_provider:
            st.login(s.oidc_provider)
        else:
            st.login()
    except Exception as e:  # e.g. no [auth] section, or Authlib missing: say so instead of a traceback
        st.session_state["rc.login_error"] = f"Sign-in is not configured correctly: {e}"


def gate() -> None:
    """Before any page: stop with a sign-in screen when the deployment needs a user and has none;
    otherwise show who is using the app (and whether it is read-only) in the sidebar."""
    s = settings()
    who = identity(s)
    allowed = access.can_use_app(s, who)
    if not allowed:
        st.title("riskcheck")
        st.info(allowed.reason)
        if s.auth == "oidc":
            st.button("Sign in", key="auth.login", type="primary", on_click=_login, args=(s,))
            problem = st.session_state.pop("rc.login_error", None)
            if problem:
                st.error(problem)
        st.stop()
    with st.sidebar:
        if s.auth != "none" and who.user:
            st.caption(f":material/person: {md(who.user)} · {who.via}")
            if s.auth == "oidc":
                st.button("Sign out", key="auth.logout", on_click=st.logout)
        if s.read_only:
            st.caption(":material/lock: Read-only deployment: rules cannot be changed here.")
        for p in s.problems:
            st.warning(f"Setting not understood: {p}")


class SessionHistory:
    """The history as a read-only deployment shows it: only the assessments this session made.

    Recording, the hash-chain checks and the engine pass through to the real store; reading
    (``list``, ``get``, ``count``) sees this session's own rows only, so a public demonstration
    or a training room never shows one user another's cases.
    """

    def __init__(self, inner: History, own: Iterable[int]):
        self._inner = inner
        self._own = set(own)

    def __getattr__(self, name: str) -> Any:  # record, verify, check, engine, url ...
        return getattr(self._inner, name)

    def get(self, record_id: int) -> Record:
        if record_id not in self._own:
            raise KeyError(record_id)
        return self._inner.get(record_id)

    def count(self) -> int:
        return len(self._own)

    def list(
        self,
        *,
        decisions: Sequence[str] = (),
        rule_set: str | None = None,
        text_: str | None = None,
        since: dt.date | None = None,
        limit: int = 500,
    ) -> list[Record]:
        out = []
        for rid in sorted(self._own, reverse=True):
            try:
                r = self._inner.get(rid)
            except KeyError:
                continue
            words = (text_ or "").lower()
            if (
                (not decisions or r.decision in decisions)
                and (not rule_set or r.rule_set_id == rule_set)
                and (not words or words in f"{r.title} {r.scenario_id} {r.recipient}".lower())
                and (since is None or r.created_at.date() >= since)
            ):
                out.append(r)
        return out[:limit]


def scoped(store: History, own: Iterable[int]) -> History:
    """The store as this session may read it (every row, unless the deployment is read-only)."""
    if access.can_see_all_history(settings()):
        return store
    return SessionHistory(store, own)  # type: ignore[return-value]
