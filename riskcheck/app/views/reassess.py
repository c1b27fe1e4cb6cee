"""Re-assessment: recorded assessments the evidence now would decide differently. (Page script: the logic is in riskcheck.app.reassess_ui.)"""

from riskcheck.app import reassess_ui

reassess_ui.page()
