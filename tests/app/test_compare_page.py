"""Compare rule sets, headless: the transfer on the Assess form under every rule set, nothing recorded.
Expected decisions: valdoria-rifles-weak-stockpile's `expected` block (deny under the baseline, refer
under the EU Common Position and the ATT minimum); the national neutrality layer is the baseline plus a
rule for parties to an international armed conflict, and Valdoria is a party to none (its profile's
conflicts are empty): deny, as the baseline."""

from __future__ import annotations

from riskcheck.history import History

from .conftest import decisions, open_bundled, texts


def test_the_form_s_transfer_under_every_rule_set_with_the_disagreements(app, db_url):
    app.switch_page("views/compare.py").run()
    assert not app.exception, [e.value for e in app.exception]
    # the rule files in name order: att-minimum, baseline, eu-common-position, national-neutrality
    assert decisions(app) == ["refer", "deny", "refer", "deny"]
    (table,) = [df.value for df in app.dataframe if "What" in df.value.columns]
    assert set(table["What"][:2]) == {
        "presumption: Presumption of denial - SALW to destinations whose stocks were lost to armed groups",
        "criterion: Criterion 7: diversion and re-export",
    }  # the two that deny under the baseline come first
    row = table[table["What"] == "criterion: Criterion 7: diversion and re-export"].iloc[0]
    assert (row["baseline"], row["eu-common-position"], row["att-minimum"]) == (
        "Deny",
        "Refer for review",
        "not in this rule set",
    )
    assert "Not demonstrated" in texts(app)
    assert History(db_url).count() == 0  # comparing is not assessing


def test_it_follows_the_case_loaded_on_the_assess_page(app, db_url):
    open_bundled(app, "nordvale-g2g-approve.yaml")
    app.switch_page("views/compare.py").run()
    assert set(decisions(app)) == {"approve"}  # the scenario expects approve under every rule set
    assert "The decision is the same under every rule set chosen." in texts(app)
