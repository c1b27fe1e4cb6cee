"""Training mode: run scenarios with a class, release injects, compare trainees with the tool.

The package has the shape of the exercise and imports flow one way (none imports streamlit)::

    answers    a trainee's judgement (levels, reasons, decision, conditions); reading CSV
    agreement  share agreeing with the tool; Fleiss' kappa (pure, exact fractions)
    debrief    trainee vs tool per criterion and stage, with the factor behind the tool's view
    export     the debrief as text, class-results CSV and printable HTML
    store      exercises, events and answers in the assessments' database (append-only)
    briefing   what a trainee receives: briefing, transfer, evidence, released injects

The app's Training page (``riskcheck.app.training_ui``) and ``riskcheck exercise`` (the CLI)
are front ends over these modules.
"""
