"""Compare rule sets: the transfer on the form under every rule set. (Page script: the logic is in riskcheck.app.compare_ui.)"""

from riskcheck.app import compare_ui

compare_ui.page()
