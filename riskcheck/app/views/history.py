"""History: every assessment made in the app; filter, reopen and compare two side by side. (Page script: the logic is in riskcheck.app.history_ui.)"""

from riskcheck.app import history_ui

history_ui.page()
