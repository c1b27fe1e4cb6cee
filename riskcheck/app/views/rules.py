"""Rule sets: what each rule set says, its sources, thresholds and what it leaves to judgement. (Page script: the logic is in riskcheck.app.rules_ui.)"""

from riskcheck.app import rules_ui

rules_ui.page()
