"""The bundled embargo reference data (rules/reference/embargoes.yaml): every entry sourced, dated and
marked V or M, ids unique, dates ordered, state codes real; and spot checks worked by hand from the
acts (or SIPRI's entries) through riskcheck's own derivation of the embargo facts."""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pycountry
import pytest

from riskcheck.facts import facts_for
from riskcheck.loader import load_embargo_list, load_rules
from tests.conftest import scenario_data, scenario_from

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "rules" / "reference" / "embargoes.yaml"
EMBARGOES, _ = load_embargo_list(DATA)

# Scenarios, tests and docs name these ids: they stay (content corrected where it was wrong).
KEPT_IDS = {
    "un-iraq-non-state",
    "un-isil-al-qaida-iraq",
    "un-isil-al-qaida-syria",
    "eu-syria",
    "eu-russia",
    "un-dprk",
    "un-libya",
    "un-south-sudan",
    "eu-myanmar",
}


def problems(entries: list[Any]) -> list[str]:
    """What the data rules forbid, one line each (empty = clean)."""
    out: list[str] = []
    seen: set[str] = set()
    for e in entries:
        if e.id in seen:
            out.append(f"{e.id}: id used twice")
        seen.add(e.id)
        if not (e.legal_act or "").strip():
            out.append(f"{e.id}: no legal act")
        if e.start is None:
            out.append(f"{e.id}: no start date")
        if not (e.source or "").strip():
            out.append(f"{e.id}: no source")
        if e.verified not in ("V", "M"):
            out.append(f"{e.id}: no verified mark")
        if e.verified == "M" and not (e.uncertain or "").strip():
            out.append(f"{e.id}: marked M without an uncertain note")
        if e.verified == "V" and not (e.verified_against or "").strip():
            out.append(f"{e.id}: marked V without saying what it was checked against")
        if e.end is not None and e.start is not None and e.end < e.start:
            out.append(f"{e.id}: ends before it starts")
        if e.country is None or pycountry.countries.get(alpha_3=e.country) is None:
            out.append(f"{e.id}: '{e.country}' is not an ISO 3166 alpha-3 code")
    return out


def overlaps(entries: list[Any]) -> list[str]:
    """Two entries of one authority, state, kind, end-user scope and item scope in force on the same
    day: the data should have one (or split them by date). Different item scopes are different measures
    (UN Iran: missile technology from 2006, major arms from 2010)."""
    groups: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for e in entries:
        items = e.items.model_dump_json() if e.items else "all"
        key = (e.authority, e.country or "", e.kind, e.scope, ",".join(sorted(e.targets)), items)
        groups[key].append(e)
    out = []
    far = dt.date.max
    for group in groups.values():
        group.sort(key=lambda e: e.start)
        for a, b in zip(group, group[1:], strict=False):
            if b.start <= (a.end or far):
                out.append(f"{a.id} and {b.id} overlap")
    return out


def test_every_entry_is_sourced_dated_and_marked():
    assert problems(EMBARGOES.entries) == []


def test_entries_of_one_scope_do_not_overlap():
    assert overlaps(EMBARGOES.entries) == []


def test_the_checks_catch_each_fault():
    good = EMBARGOES.entries[0]
    broken = [
        good,
        good.model_copy(update={"legal_act": " "}),
        good.model_copy(update={"source": ""}),
        good.model_copy(update={"id": "x1", "verified": None}),
        good.model_copy(update={"id": "x2", "verified": "M", "uncertain": None}),
        good.model_copy(update={"id": "x3", "verified": "V", "verified_against": None}),
        good.model_copy(update={"id": "x4", "end": good.start - dt.timedelta(days=1)}),
        good.model_copy(update={"id": "x5", "country": "XYZ"}),
    ]
    found = problems(broken)
    for fault in (
        "id used twice",
        "no legal act",
        "no source",
        "x1: no verified mark",
        "x2: marked M without",
        "x3: marked V without",
        "x4: ends before",
        "x5: 'XYZ' is not",
    ):
        assert any(fault in line for line in found), fault
    assert overlaps([good, good.model_copy(update={"id": "twin"})]) == [f"{good.id} and twin overlap"]


def test_the_ids_others_refer_to_are_kept():
    assert KEPT_IDS.issubset(e.id for e in EMBARGOES.entries)


def test_the_data_covers_the_embargoes_since_1990():
    # SIPRI's database lists about 50 UN, EU and OSCE embargoes since 1990; one entry per state
    # (and per phase where the scope changed) gives more entries than embargoes.
    assert len(EMBARGOES.entries) >= 50
    by = {e.authority for e in EMBARGOES.entries}
    assert by == {"UN", "EU", "OSCE"}
    assert EMBARGOES.as_of >= max(e.start for e in EMBARGOES.entries)


def test_verified_entries_name_a_stored_copy_of_the_act_or_sipri():
    # V means checked against a stored copy of the act or of SIPRI's entry: the note names which
    # (SIPRI's database, EUR-Lex, or the text or record of the act) and when it was read.
    for e in EMBARGOES.entries:
        if e.verified == "V":
            va = e.verified_against
            assert any(k in va for k in ("SIPRI", "EUR-Lex", "text of", "record of")), e.id
            assert "read 20" in va, e.id


# --- Spot checks, each worked by hand from the act or SIPRI's entry named in the comment. ---

RULES = load_rules(ROOT / "rules" / "baseline.yaml")


def embargo_facts(
    country: str, on: str, end_user: str = "armed_forces", **transfer: Any
) -> dict[str, bool | None]:
    """The embargo facts riskcheck derives for a transfer of rifles (small arms, said to be for that)
    to ``country`` on ``on`` that records no embargo check of its own (so the bundled reference data
    is read); ``transfer`` adds fields such as sanctions_procedures."""
    s = copy.deepcopy(scenario_data())
    s["date"] = on
    s["transfer"]["recipient"] = {"country": country, "name": "Recipient"}
    s["transfer"]["end_user"] = {"type": end_user, "name": "End user"}
    s["transfer"]["items"][0]["capability"] = "small_arms_light_weapons"
    s["transfer"].update(transfer)
    del s["evidence"]["embargoes"]
    facts = facts_for(scenario_from(s), dt.date.fromisoformat(on), RULES)
    return {k: facts[f"embargo.{k}"].value for k in ("un", "eu", "osce")}


def approval(embargo: str, status: str, kind: str = "approval") -> list[dict[str, str]]:
    return [{"embargo": embargo, "kind": kind, "status": status}]


def test_sierra_leone_1998_frees_the_government_with_notification():
    # Res. 1171 (1998): from June 1998 arms may go to the Government of Sierra Leone, notified to
    # the Committee; the RUF and other non-governmental forces stay under the embargo.
    notified = approval("un-sierra-leone-1998", "given", kind="notification")
    assert embargo_facts("SLE", "1999-01-01", sanctions_procedures=notified)["un"] is False
    assert embargo_facts("SLE", "1999-01-01")["un"] is None  # notification not recorded: referred
    assert embargo_facts("SLE", "1999-01-01", "non_state_armed_group")["un"] is True


def test_libya_2011_whole_state_with_the_committee_route_of_para_9c():
    # Res. 1970 (2011) para. 9: all arms to Libya, the state's forces included, unless the
    # Committee approved the supply in advance (9(c)). Rifles for the army on 1 January 2012:
    # approval refused -> the embargo covers the line; approval given -> the line is out of it;
    # nothing recorded -> unknown (referred, never passed).
    refused = embargo_facts("LBY", "2012-01-01", sanctions_procedures=approval("un-libya", "refused"))
    given = embargo_facts("LBY", "2012-01-01", sanctions_procedures=approval("un-libya", "given"))
    assert refused["un"] is True
    assert given["un"] is False
    assert embargo_facts("LBY", "2012-01-01")["un"] is None
    # The day before res. 1970 no UN embargo applied (the 1992 one was suspended in 1999).
    assert embargo_facts("LBY", "2011-02-25")["un"] is False


@pytest.mark.parametrize(
    ("country", "on", "end_user", "authority", "expected", "why"),
    [
        # EU: Madrid declaration of 27 June 1989, never lifted.
        ("CHN", "2020-01-01", "armed_forces", "eu", True, "Madrid 1989 declaration in force"),
        # UN Liberia: since 2009 only non-state actors; res. 2288 ended it on 25 May 2016.
        ("LBR", "2015-06-01", "non_state_armed_group", "un", True, "res. 1903: non-state actors"),
        ("LBR", "2016-06-01", "non_state_armed_group", "un", False, "lifted by res. 2288"),
        # UN Sierra Leone: whole state from res. 1132 (Oct 1997), government free from res. 1171
        # (Jun 1998), non-state forces until res. 1940 (29 Sep 2010).
        ("SLE", "1998-01-01", "armed_forces", "un", True, "res. 1132 covers the junta's forces"),
        ("SLE", "1999-01-01", "non_state_armed_group", "un", True, "res. 1171 keeps the RUF"),
        ("SLE", "2010-10-01", "non_state_armed_group", "un", False, "lifted by res. 1940"),
        # UN Iraq: res. 661 (Aug 1990) on the whole state until res. 1546 (8 Jun 2004) freed the
        # government; non-state actors stay covered.
        ("IRQ", "1995-01-01", "armed_forces", "un", True, "res. 661 and 687"),
        ("IRQ", "2005-03-01", "armed_forces", "un", False, "res. 1546 exempts the government"),
        ("IRQ", "2005-03-01", "non_state_armed_group", "un", True, "res. 1546 keeps others"),
        # OSCE (CSCE) request of 28 Feb 1992 on Nagorno-Karabakh, never repealed (read for both states).
        ("ARM", "2000-01-01", "armed_forces", "osce", True, "CSCE CSO 28 Feb 1992"),
        ("AZE", "1992-02-27", "armed_forces", "osce", False, "the day before the request"),
        # EU Uzbekistan: Common Position 2005/792 of 14 Nov 2005, expired 13 Nov 2009.
        ("UZB", "2008-01-01", "armed_forces", "eu", True, "Common Position 2005/792 renewed"),
        ("UZB", "2010-01-01", "armed_forces", "eu", False, "not renewed in 2009"),
        # EU Bosnia and Herzegovina: lifted by Common Position 2006/29 on 23 Jan 2006.
        ("BIH", "2006-01-22", "armed_forces", "eu", True, "last day of the EC 1991 embargo"),
        ("BIH", "2006-01-23", "armed_forces", "eu", False, "Common Position 2006/29"),
        # A state no UN, EU or OSCE embargo has ever covered.
        ("NOR", "2020-01-01", "armed_forces", "un", False, "no embargo"),
    ],
)
def test_spot_checks(country, on, end_user, authority, expected, why):
    assert embargo_facts(country, on, end_user)[authority] is expected, why


def test_dprk_item_scope_and_the_salw_notification_of_res_1874():
    # Res. 1718 (2006) covered the seven UN Register categories, not small arms; the EU's Common
    # Position 2006/795 covered all arms. Res. 1874 (2009), para. 10, took in all arms but let small
    # arms through on five days' notice; res. 2270 (2016) took them in too.
    assert embargo_facts("PRK", "2007-06-01") == {"un": False, "eu": True, "osce": False}
    notified = approval("un-dprk", "given", kind="notification")
    assert embargo_facts("PRK", "2012-06-01", sanctions_procedures=notified)["un"] is False
    assert embargo_facts("PRK", "2012-06-01")["un"] is None  # notification not recorded: referred
    assert embargo_facts("PRK", "2017-06-01", sanctions_procedures=notified)["un"] is True


def test_iran_un_major_arms_only_eu_all_arms():
    # Res. 1929 (2010) covered the UN Register categories (rifles are outside them); the EU's
    # Common Position 2007/246 covered all arms and still does after the UN's restrictions ended.
    assert embargo_facts("IRN", "2012-06-01") == {"un": False, "eu": True, "osce": False}
    assert embargo_facts("IRN", "2021-06-01")["eu"] is True
