"""Training: a trainer runs scenarios with a class; trainees judge first and see the tool after.

The page chooses the view by role (``training_role``): the trainer's (``training_trainer_ui``) or a
trainee's (``training_trainee_ui``); what both use is in ``training_shared``, the debrief in
``training_debrief_ui``. Everything a trainee submits is saved at once in the database
(``riskcheck.training.store``).
"""

from __future__ import annotations

import streamlit as st

from riskcheck.app import training_role
from riskcheck.app.training_shared import tstore
from riskcheck.app.training_trainee_ui import trainee_page
from riskcheck.app.training_trainer_ui import trainer_page


def page() -> None:
    st.title("Training")
    try:
        store = tstore()
    except Exception as exc:  # a database that cannot be opened is a message, not a traceback
        st.error(f"The training database cannot be opened: {exc}")
        return
    if training_role.is_trainee():
        trainee_page(store)
    else:
        trainer_page(store)
