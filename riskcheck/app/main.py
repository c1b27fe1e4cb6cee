"""Entry script of the app: `riskcheck app` runs `streamlit run` on this file.

Pages live in ``views/`` (not ``pages/``: Streamlit's legacy router would take that folder
over). Every page sees the same session state, initialised here with a bundled scenario.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from riskcheck.app import auth_ui, state, training_role

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="riskcheck", page_icon="⚖️", layout="wide")
auth_ui.gate()  # sign-in when the deployment needs it (riskcheck.app.access)
state.init()
# One line per page: a new page is a module in views/ and a line here.
pages = [
    st.Page(HERE / "views" / "assess.py", title="Assess", icon=":material/gavel:", default=True),
    st.Page(HERE / "views" / "compare.py", title="Compare rule sets", icon=":material/compare_arrows:"),
    st.Page(HERE / "views" / "history.py", title="History", icon=":material/history:"),
    st.Page(HERE / "views" / "reassess.py", title="Re-assessment", icon=":material/update:"),
    st.Page(HERE / "views" / "rules.py", title="Rule sets", icon=":material/menu_book:"),
]
training = st.Page(HERE / "views" / "training.py", title="Training", icon=":material/school:")
pages = training_role.navigation(pages, training)  # a trainee (?role=trainee) sees Training only
st.navigation(pages).run()
