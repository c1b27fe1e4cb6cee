"""Who is using the app: a trainer (the whole app) or a trainee (the Training page only).

A classroom has no accounts. The role is chosen per browser session:

- ``?role=trainee`` in the address (the join link the Training page gives the trainer) makes the
  session a trainee's. A trainee sees only the Training page: no Assess page (it would show the
  tool's answer), no History, no Rule sets page or rule editor, no choice of rule set.
- Without it the session is a trainer's, i.e. the app as policy staff use it, plus the
  Training page's trainer view. ``?role=trainer`` switches a session back.

That is a convention, not a lock: anyone can edit the address. When the server is started with
``RISKCHECK_TRAINER_PIN`` set, every session starts as a trainee's and ``?role=trainer`` is
ignored; the trainer view (and with it the rest of the app) opens only after the PIN is typed
on the Training page.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Sequence
from typing import Any

import streamlit as st

ROLE = "rc.role"
PIN_ENV = "RISKCHECK_TRAINER_PIN"
TRAINER, TRAINEE = "trainer", "trainee"


def pin_required() -> bool:
    return bool(os.environ.get(PIN_ENV))


def role() -> str:
    """The session's role, from the address (``?role=``) the first time and the session after."""
    ss = st.session_state
    asked = st.query_params.get("role")
    if asked == TRAINEE:
        ss[ROLE] = TRAINEE
    elif asked == TRAINER and not pin_required():
        ss[ROLE] = TRAINER
    if ROLE not in ss:
        ss[ROLE] = TRAINEE if pin_required() else TRAINER
    return str(ss[ROLE])


def is_trainee() -> bool:
    return role() == TRAINEE


def unlock(pin: str) -> bool:
    """Become the trainer if ``pin`` matches ``RISKCHECK_TRAINER_PIN`` (or no PIN is set)."""
    expected = os.environ.get(PIN_ENV, "")
    if expected and not hmac.compare_digest(pin.encode("utf-8"), expected.encode("utf-8")):
        return False
    st.session_state[ROLE] = TRAINER
    if st.query_params.get("role") == TRAINEE:
        del st.query_params["role"]
    return True


def become_trainee() -> None:
    st.session_state[ROLE] = TRAINEE


def navigation(pages: Sequence[Any], training: Any) -> list[Any]:
    """The pages this session may open: every page and Training for a trainer, Training alone for a trainee."""
    if is_trainee():
        return [training]
    return [*pages, training]
