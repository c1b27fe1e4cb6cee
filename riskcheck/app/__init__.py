"""The Streamlit front end for policy staff (``riskcheck app``).

Thin pages over the public API: ``views/`` holds one module per page, and the logic
they share lives in small modules that can be tested without a browser:

- ``forms``   the transfer form as plain data: countries, profiles, evidence rows,
              the scenario document the form builds, errors mapped back to fields
              (no streamlit import);
- ``state``   session keys, cached rule sets and analyses, the history store;
- ``widgets`` renderings of an Assessment (answer, drill-down, charts, what-if).

The engine never imports anything from here.
"""
