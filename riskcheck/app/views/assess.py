"""Assess: describe a transfer, see the answer at once, drill down, try controls, download the memo. (Page script: the logic is in riskcheck.app.assess_ui.)"""

from riskcheck.app import assess_ui

assess_ui.page()
