"""Training: run scenarios with a class, injects, trainee judgement and the debrief. (Page script: the logic is in riskcheck.app.training_ui.)"""

from riskcheck.app import training_ui

training_ui.page()
