"""The form as plain data: countries, evidence rows, overrides, errors mapped to fields."""

from __future__ import annotations

from riskcheck import vocabulary as v
from riskcheck.app import catalog, evidence_rows, forms

from .conftest import SCENARIOS


def weak():
    return catalog.scenario_data(SCENARIOS / "valdoria-rifles-weak-stockpile.yaml")


def form_for(data, **changes):
    t = data["transfer"]
    f = forms.FormInput(
        title=data["title"],
        date=data["date"],
        exporter_country=t["exporter"]["country"],
        exporter_name=t["exporter"]["name"],
        recipient_country=t["recipient"]["country"],
        recipient_name=t["recipient"]["name"],
        end_user_type=t["end_user"]["type"],
        end_user_name=t["end_user"]["name"],
        unit=t["end_user"].get("unit") or "",
        end_use=t["end_use"],
        channel=t["channel"],
        controls=list(t["controls"]),
        items=forms.item_rows(data),
        country_rows=evidence_rows.evidence_rows(data, "country"),
        unit_rows=evidence_rows.evidence_rows(data, "unit"),
    )
    for k, x in changes.items():
        setattr(f, k, x)
    return f


def test_countries_have_names_and_include_the_fictional_states():
    by_code = {c.code: c for c in catalog.countries()}
    assert by_code["IRQ"].name == "Iraq" and not by_code["IRQ"].fictional
    assert by_code["XVL"].fictional and by_code["XVL"].profile == "profiles/valdoria.yaml"
    assert "XOS" in by_code  # Ostria: an exporter in a bundled scenario, with no profile
    assert len(by_code) > 240
    assert catalog.official_name("NOR") == "Kingdom of Norway"


def test_values_typed_as_text_are_parsed_by_the_indicator_kind():
    spec = v.COUNTRY_INDICATORS
    assert evidence_rows.text_to_value("yes", spec["diversion_history"]) is True
    assert evidence_rows.text_to_value("No", spec["diversion_history"]) is False
    assert evidence_rows.text_to_value("4", spec["pts"]) == 4
    assert evidence_rows.text_to_value(4.0, spec["pts"]) == 4
    assert evidence_rows.text_to_value("0.65", spec["hdi"]) == 0.65
    assert evidence_rows.text_to_value("  ", spec["hdi"]) is None
    assert (
        evidence_rows.text_to_value("maybe", spec["diversion_history"]) == "maybe"
    )  # rejected by the schema


def test_an_unchanged_form_is_the_same_scenario():
    data = weak()
    new = forms.apply_form(data, form_for(data), "baseline")
    assert new["evidence"].get("country") is None  # nothing overrides the profile
    assert new["transfer"] == data["transfer"]
    assert forms.build(new).ok


def test_a_changed_profile_value_becomes_an_override_and_blanking_one_makes_it_unknown():
    data = weak()
    rows = evidence_rows.evidence_rows(data, "country")
    by = {r["indicator"]: r for r in rows}
    by["cpi"]["value"] = "75"
    by["pts"].update(value=None, confidence=None)
    new = forms.apply_form(data, form_for(data, country_rows=rows), "baseline")
    assert new["evidence"]["country"]["cpi"]["value"] == 75
    pts = new["evidence"]["country"]["pts"]
    assert pts["confidence"] == "unknown" and "value" not in pts
    built = forms.build(new)
    assert built.ok
    assert set(built.scenario.overrides) == {"cpi", "pts"}
    origins = {r["indicator"]: r["origin"] for r in evidence_rows.evidence_rows(new, "country")}
    assert origins["cpi"] == "override" and origins["hdi"] == "profile"


def test_errors_are_mapped_to_the_fields_that_caused_them():
    data = weak()
    rows = evidence_rows.evidence_rows(data, "country")
    next(r for r in rows if r["indicator"] == "pts")["value"] = "9"
    items = forms.item_rows(data)
    items[1]["quantity"] = 0
    f = form_for(data, country_rows=rows, items=items, end_user_name="", exporter_country="")
    built = forms.build(forms.apply_form(data, f, "baseline"))
    assert not built.ok
    assert built.errors["evidence.country.pts"] == ["Political Terror Scale: must be at most 5"]
    assert built.errors["transfer.items"] == ["Items table, row 2, Quantity: must be at least 1"]
    assert built.errors["transfer.end_user.name"] == ["required: please fill this in"]
    assert built.errors["transfer.exporter.country"] == ["choose a country from the list"]


def test_a_new_recipient_drops_the_former_recipients_evidence():
    data = weak()
    data["evidence"]["country"] = {
        "cpi": {"value": 75, "confidence": "known", "source": "s", "as_of": "2025-01-01"}
    }
    new = forms.apply_form(data, form_for(data, recipient_country="XNV", recipient_name=""), "baseline")
    assert new["evidence"]["profile"] == "profiles/nordvale.yaml"
    assert "country" not in new["evidence"]
    assert new["transfer"]["recipient"]["name"] == "Kingdom of Nordvale"


def test_editor_state_is_applied_like_the_editor_does():
    rows = [{"a": 1}, {"a": 2}, {"a": 3}]
    state = {"edited_rows": {"0": {"a": 10}}, "deleted_rows": [1], "added_rows": [{"a": 4}]}
    assert forms.apply_editor_state(rows, state) == [{"a": 10}, {"a": 3}, {"a": 4}]
    assert forms.apply_editor_state(rows, None) == rows


def test_scenarios_are_found_by_title_file_name_id_and_state():
    assert [s.id for s in catalog.search_scenarios("Karvonia")] == ["karvonia-embargo"]  # the state's name
    assert [s.id for s in catalog.search_scenarios("valdoria-rifles-rebutted")] == [
        "valdoria-rifles-rebutted"
    ]
    assert {s.id for s in catalog.search_scenarios("IRQ 2014")} == {
        "iraq-2014-after-mosul",
        "iraq-2014-after-mosul-rebutted",
    }  # a code and a word of the title, both required
    assert [s.id for s in catalog.search_scenarios("MANPADS estmark")] == ["estmark-manpads"]
    assert catalog.search_scenarios("no such place") == []


def test_item_errors_name_the_table_row_counting_blank_rows_and_say_it_plainly():
    """The officer's table: row 1 complete, row 2 left blank, row 3 without a Military List category.
    The document holds two items; the message must name row 3, the one the officer sees."""
    data = weak()
    items = forms.item_rows(data)
    blank = {c: None for c in forms.ITEM_COLUMNS}
    third = {**items[1], "ml_category": None}
    table = [items[0], blank, third]
    f = form_for(data, items=table)
    built = forms.build(forms.apply_form(data, f, "baseline"), item_rows=forms.item_table_rows(table))
    assert built.errors == {"transfer.items": ["Items table, row 3: Military List is missing"]}
    rows = evidence_rows.evidence_rows(data, "unit")
    next(r for r in rows if r["indicator"] == "quantity_plausible")["value"] = "perhaps"
    built = forms.build(forms.apply_form(data, form_for(data, unit_rows=rows), "baseline"))
    assert built.errors == {
        "evidence.unit.quantity_plausible": ["Quantity plausible for the unit: must be yes or no"]
    }


def test_a_lines_record_of_derogation_conditions_survives_the_form():
    """corvania-embargo-mixed-licence records on line 2 that the body armour is solely for
    protective use (the derogation's condition); the items table does not show it, so an
    unchanged form keeps it, and a row that now describes another item does not inherit it."""
    data = catalog.scenario_data(SCENARIOS / "corvania-embargo-mixed-licence.yaml")
    new = forms.apply_form(data, form_for(data), "baseline")
    assert new["transfer"] == data["transfer"]
    assert new["transfer"]["items"][1]["derogation_conditions"] == {"humanitarian_or_protective_use": "met"}
    rows = forms.item_rows(data)
    rows[1]["description"] = "Helmets only"
    changed = forms.apply_form(data, form_for(data, items=rows), "baseline")
    assert "derogation_conditions" not in changed["transfer"]["items"][1]
