"""The evidence layer: country profiles built from published data sets, versioned, and the
re-assessment of recorded licences when that evidence changes (EU CP Art. 1(1a); ATT Art. 7(7)).

- ``countries``   names and codes of the data sets matched to ISO 3166-1 (pycountry)
- ``tables``      the publishers' files read as distributed (CSV encodings, workbooks), rows numbered
- ``importers``   one module per data set: its layout, its scale mapped onto an indicator
- ``apply``       dataset values merged into profiles (officers' values kept), the import report
- ``versions``    every change to a profile as an appended, hash-chained version with who, when, why
- ``reassess``    recorded assessments replayed under the evidence as it is now
"""
