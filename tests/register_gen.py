"""A synthetic licensing register for the batch tests and benchmarks (seeded, vectorised).

Rows vary everything the rules read: missing and 'unknown' values, every channel, sets of
controls (with the full rebuttal package now and then), presumption destinations (IRQ, diversion
records, SALW), embargoes (stated in the row, from a profile check with named forces and non-state
scopes, or looked up in the rule set's reference list, before and after their start dates),
MANPADS to every kind of end user, what the items are for, conflicts and the recipient's role,
documented patterns of violations, the record of controls tried, prior denials, and (optionally) contested readings
and invalid values. The profiles the rows name are written by ``write_profiles`` into a folder of
the test's own, so the tests do not depend on the bundled training profiles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from riskcheck import vocabulary as v
from riskcheck.facts import CONTROL_RECORD, ROLE_ORDER

PROFILES: dict[str, str] = {
    "alpha": """id: alpha
country: XAL
name: Alpha (synthetic)
fictional: true
indicators:
  pts: {value: 4, confidence: known, source: synthetic, as_of: 2024-01-01}
  ihl_violations_credible: {value: true, confidence: known, source: synthetic, as_of: 2024-01-01}
  cpi: {value: 25, confidence: known, source: synthetic, as_of: 2024-01-01}
  diversion_history: {value: false, confidence: known, source: synthetic, as_of: 2024-01-01}
  internal_conflict: {value: minor, confidence: known, source: synthetic, as_of: 2024-01-01}
  hdi: {value: 0.62, confidence: known, source: synthetic, as_of: 2024-01-01}
  stockpile_physical_security: {value: 1, confidence: known, source: synthetic, as_of: 2024-01-01}
  gbv_risk: {confidence: unknown}
embargoes:
  source: synthetic embargo check
  as_of: 2024-01-01
  in_force:
    - {id: un-alpha, authority: UN, legal_act: "UNSC res. 1 (synthetic)", scope: whole_state, start: 2020-01-01, source: synthetic}
conflicts:
  - name: Alpha-Beta war
    parties: [XAL, XBE]
    source: synthetic
    as_of: 2024-01-01
    roles: [{party: XAL, role: aggressor, source: synthetic}]
patterns:
  ihl: {capabilities: [artillery_rockets, air_delivered_strike], description: shelling of towns, source: synthetic, as_of: 2024-01-01}
""",
    "beta": """id: beta
country: XBE
name: Beta (synthetic)
fictional: true
indicators:
  pts: {value: 3, alternatives: [5], confidence: contested, source: synthetic, as_of: 2024-01-01}
  nonproliferation_record: {value: mixed, confidence: known, source: synthetic, as_of: 2024-01-01}
  terrorism_support: {value: false, confidence: known, source: synthetic, as_of: 2024-01-01}
  milex_pct_gdp: {value: 4.5, confidence: known, source: synthetic, as_of: 2024-01-01}
embargoes:
  source: synthetic embargo check
  as_of: 2024-01-01
  in_force:
    - {id: eu-beta-red, authority: EU, legal_act: "EU decision 1 (synthetic)", scope: named_forces, targets: [Red Brigade], start: 2019-05-01, source: synthetic}
    - {id: osce-beta, authority: OSCE, legal_act: "OSCE decision (synthetic)", scope: non_state_actors, start: 2018-01-01, end: 2024-12-31, source: synthetic}
conflicts: []
""",
    # Embargoes as the law writes them: item scope, the government exempt with notification,
    # derogations with conditions, a national measure (of one exporter only), a suspension naming
    # the criterion it rests on, and contracts concluded before a date exempt.
    "delta": """id: delta
country: XDE
name: Delta (synthetic)
fictional: true
indicators:
  pts: {value: 3, confidence: known, source: synthetic, as_of: 2024-01-01}
embargoes:
  source: synthetic embargo check
  as_of: 2024-01-01
  in_force:
    - id: un-delta
      authority: UN
      legal_act: "UNSC res. 2 (synthetic)"
      scope: whole_state
      government: exempt_with_notification
      items: {ml_categories: [ML1, ML2, ML3, ML4], capabilities: [small_arms_light_weapons], systems: [T-72]}
      derogations:
        - id: protective
          summary: protective clothing for media and humanitarian workers
          items: {ml_categories: [ML1]}
          end_users: [media, humanitarian]
          requires: [personal_protective_use]
          source: "res. 2 para. 3 (synthetic)"
        - id: mission
          summary: arms for the UN mission, notified
          end_users: [un_mission]
          requires: [committee_notification, un_or_authorised_mission]
          source: "res. 2 para. 4 (synthetic)"
      start: 2015-01-01
      source: synthetic
    - id: eu-delta-rebels
      authority: EU
      legal_act: "EU decision 2 (synthetic)"
      scope: non_state_actors
      derogations:
        - id: humanitarian
          summary: non-lethal equipment for humanitarian or protective use
          items: {capabilities: [protective_non_lethal]}
          requires: [humanitarian_or_protective_use]
          source: "decision 2 art. 2 (synthetic)"
      contracts_before: 2016-06-01
      start: 2016-06-01
      source: synthetic
    - {id: xnv-delta, authority: national, imposed_by: XNV, legal_act: "XNV decree (synthetic)", scope: whole_state, items: {ml_categories: [ML10]}, start: 2017-01-01, source: synthetic}
    - {id: eu-delta-suspension, authority: EU, kind: suspension, criterion: 2a, legal_act: "Council conclusions (synthetic)", scope: whole_state, items: {capabilities: [riot_control_internal_security]}, start: 2018-01-01, end: 2025-12-31, source: synthetic}
""",
    "gamma": """id: gamma
country: XGA
name: Gamma (synthetic)
fictional: true
indicators:
  diversion_history: {value: true, confidence: known, source: synthetic, as_of: 2024-01-01}
  conflict_near_depots: {value: true, confidence: known, source: synthetic, as_of: 2024-01-01}
  stockpile_audit: {value: 2, confidence: known, source: synthetic, as_of: 2024-01-01}
""",
}
PROFILE_COUNTRY = {"alpha": "XAL", "beta": "XBE", "gamma": "XGA", "delta": "XDE"}
PROFILE_PARTY = {
    "alpha": True,
    "beta": False,
    "gamma": None,
    "delta": None,
}  # recipient a party to a conflict (None: no check)

RECIPIENTS = ["XAL", "XBE", "XGA", "IRQ", "SYR", "RUS", "PRK", "XVL", "USA", "XZZ"]
EXPORTERS = ["XNV", "FRA", "DEU", "SWE"]
NAMES = [
    "Ministry of Defence",
    "National Army",
    "Islamic State",
    "Red Brigade",
    "National Police",
    "Acme Security Ltd",
]
UNITS = ["", "", "9th Division", "Special Police Unit", "ISIL", "Red Brigade"]
PACKAGE = "euc_government;no_reexport_clause;serial_number_lists;delivery_verification;psv_consent"

INVALID = [
    ("country.pts", "7"),
    ("country.cpi", "abc"),
    ("channel", "g2g_eum"),
    ("date", "2025-13-01"),
    ("controls", "euc"),
    ("quantity", "0"),
    ("recipient_country", "Iraq"),
    ("unit.remediation", "partly"),
    ("country.hdi", "1.5"),
    ("end_user_type", ""),
]


def write_profiles(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for pid, text in PROFILES.items():
        (folder / f"{pid}.yaml").write_text(text)
    return folder


GOOD_WHEN_TRUE = {
    "att_state_party",
    "unroca_reporting",
    "ihl_compliance_mechanisms",
    "stockpile_control_demonstrated",
    "quantity_plausible",
    "type_plausible",
}
HIGH_IS_GOOD = {
    "cirights_physint",
    "cpi",
    "export_control_capacity",
    "stockpile_records",
    "stockpile_physical_security",
    "stockpile_audit",
    "stockpile_overrun_resilience",
    "hdi",
    "remediation",
}


def _ordered_values(key: str, spec: v.IndicatorSpec) -> list[str]:
    """An indicator's values as register text, from the most to the least favourable."""
    if spec.kind == "bool":
        return ["true", "false"] if key in GOOD_WHEN_TRUE else ["false", "true"]
    if spec.kind == "enum":
        values = list(spec.values)
    elif spec.kind == "int":
        values = [str(x) for x in range(int(spec.low or 0), int(spec.high or 1) + 1)]
    elif key == "hdi":
        values = [f"{x:.2f}" for x in np.linspace(0.3, 0.95, 27)]
    else:
        values = [f"{x:.1f}" for x in np.linspace(0.5, 8.0, 16)]
    return values[::-1] if key in HIGH_IS_GOOD else values


def generate(
    n: int,
    seed: int = 0,
    *,
    start: int = 0,
    invalid: float = 0.0,
    contested: float = 0.0,
    profile_share: float = 0.7,
) -> pd.DataFrame:
    """``n`` register rows (strings, as read from a CSV file). ``contested``: share of rows with one
    contested cell; ``profile_share``: share of rows to profiled recipients that name the profile."""
    rng = np.random.default_rng(seed)

    def pick(options: list[str], p: list[float] | None = None) -> np.ndarray:
        return np.array(options, dtype=object)[rng.choice(len(options), n, p=p)]

    def blank(col: np.ndarray, share: float) -> np.ndarray:
        col = col.copy()
        col[rng.random(n) < share] = ""
        return col

    ids = np.array([f"APP-{seed}-{i:07d}" for i in range(start, start + n)], dtype=object)
    days = rng.integers(0, (np.datetime64("2026-06-30") - np.datetime64("2012-01-01")).astype(int), n)
    dates = (np.datetime64("2012-01-01") + days).astype(str).astype(object)
    recipient = pick(RECIPIENTS, [0.08, 0.1, 0.1, 0.12, 0.04, 0.03, 0.03, 0.15, 0.2, 0.15])
    profile = np.array([""] * n, dtype=object)
    for pid, country in PROFILE_COUNTRY.items():
        mask = (recipient == country) & (rng.random(n) < profile_share)
        profile[mask] = pid
    sens = pick(list(v.SENSITIVITY), [0.22, 0.15, 0.08, 0.08, 0.17, 0.12, 0.1, 0.08])
    eut = pick(list(v.END_USER_TYPES), [0.35, 0.18, 0.12, 0.08, 0.12, 0.05, 0.05, 0.05])
    controls = np.array(
        [";".join(sorted(rng.choice(list(v.CONTROLS), k, replace=False))) for k in rng.integers(0, 6, n)],
        dtype=object,
    )
    controls[rng.random(n) < 0.15] = PACKAGE
    data: dict[str, np.ndarray] = {
        "application_id": ids,
        "date": dates,
        "exporter_country": pick(EXPORTERS),
        "recipient_country": recipient,
        "end_user_type": eut,
        "end_user_name": pick(NAMES),
        "end_user_unit": pick(UNITS),
        "ml_category": pick(list(v.MILITARY_LIST)),
        "att_category": pick(list(v.ATT_CATEGORIES)),
        "sensitivity": sens,
        "capability": blank(pick(list(v.CAPABILITIES)), 0.1),
        "quantity": rng.integers(1, 100_000, n).astype(str).astype(object),
        "value_eur": blank(np.round(rng.random(n) * 1e7, 2).astype(str).astype(object), 0.2),
        "channel": pick(list(v.CHANNELS)),
        "controls": controls,
        "profile": profile,
    }
    checked = rng.random(n) < 0.3
    for a in ("embargo.un", "embargo.eu", "embargo.osce"):
        col = np.where(rng.random(n) < 0.03, "true", "false").astype(object)
        col[~checked] = ""
        data[a] = col
    data["prior_denials.identical_within_3y"] = blank(
        np.where(rng.random(n) < 0.1, "yes", "no").astype(object), 0.3
    )
    count = blank(rng.integers(0, 9, n).astype(str).astype(object), 0.4)
    data["prior_transfers.count_5y"] = count
    rp = blank(np.where(rng.random(n) < 0.3, "true", "false").astype(object), 0.5)
    data["conflicts.recipient_party"] = rp
    party = np.full(n, -1)
    party[rp == "true"], party[rp == "false"] = 1, 0
    for pid, p in PROFILE_PARTY.items():
        use = (rp == "") & (profile == pid)
        if p is not None:
            party[use] = int(p)
    aos = np.array([""] * n, dtype=object)
    counted = count != ""
    need = (party == 1) & counted
    aos[need] = np.where(rng.random(int(need.sum())) < 0.4, "true", "false")
    may = (party == 0) & counted & (rng.random(n) < 0.5)
    aos[may] = "false"
    data["conflicts.exporter_arms_other_side"] = aos
    role = np.array([""] * n, dtype=object)
    role[rp == "true"] = blank(pick(list(ROLE_ORDER)), 0.15)[rp == "true"]
    role[(rp == "false") & (rng.random(n) < 0.5)] = "none"
    data["conflicts.recipient_role"] = role
    for which in ("ihl", "repression"):
        kinds = [
            ";".join(sorted(rng.choice(list(v.CAPABILITIES), k, replace=False)))
            for k in rng.integers(1, 4, n)
        ]
        data[f"patterns.{which}"] = np.where(rng.random(n) < 0.2, np.array(kinds, dtype=object), "").astype(
            object
        )
    record = blank(pick(list(CONTROL_RECORD), [0.15, 0.5, 0.35]), 0.6)
    data["controls.record"] = record
    breached = np.array([""] * n, dtype=object)
    found = record == "breaches_found"
    breached[found] = [
        ";".join(sorted(rng.choice(list(v.CONTROLS), k, replace=False)))
        for k in rng.integers(1, 3, int(found.sum()))
    ]
    data["controls.breached"] = breached
    # Indicators follow a per-row risk tier, so that every decision occurs in realistic shares.
    tier = rng.choice(3, n, p=[0.55, 0.3, 0.15])
    gone = np.array([0.01, 0.04, 0.1])[tier]
    names = []
    for group, specs in (("country", v.COUNTRY_INDICATORS), ("unit", v.UNIT_INDICATORS)):
        for key, spec in specs.items():
            name = f"{group}.{key}"
            names.append(name)
            values = np.array(_ordered_values(key, spec), dtype=object)
            k = len(values)
            if k == 2:
                rare = key in ("atrocity_use_known", "implicated_in_war_crimes")
                bad = rng.random(n) < np.array([0.005, 0.02, 0.1] if rare else [0.01, 0.08, 0.5])[tier]
                idx = bad.astype(int)
            else:
                lo = np.array([0, k // 3, (2 * k) // 3])[tier]
                hi = np.array([max(1, k // 3 + 1), max(2, (2 * k) // 3 + 1), k])[tier]
                idx = np.minimum(lo + (rng.random(n) * (hi - lo)).astype(int), k - 1)
            col = values[idx]
            r = rng.random(n)
            col[r < gone] = ""
            if group == "country":  # where a profile fills the country's evidence, rows often leave it out
                col[(profile != "") & (rng.random(n) < 0.6)] = ""
            col[(r >= gone) & (r < gone + 0.02)] = "unknown"
            data[name] = col
    if contested:
        rows = np.flatnonzero(rng.random(n) < contested)
        for r, which in zip(rows, rng.integers(0, len(names), len(rows)), strict=True):
            name = names[which]
            key = name.split(".", 1)[1]
            spec = v.COUNTRY_INDICATORS.get(key) or v.UNIT_INDICATORS[key]
            values = _ordered_values(key, spec)
            a, b = rng.choice(len(values), 2, replace=False)
            data[name][r] = f"{values[a]}|{values[b]}"
    _embargo_inputs(data, n, seed)
    frame = pd.DataFrame(data)
    if invalid:
        rows = np.flatnonzero(rng.random(n) < invalid)
        which = rng.integers(0, len(INVALID), len(rows))
        for r, w in zip(rows, which, strict=True):
            column, bad = INVALID[w]
            frame.iat[r, frame.columns.get_loc(column)] = bad
    return frame


def _embargo_inputs(data: dict[str, np.ndarray], n: int, seed: int) -> None:
    """What the embargo facts read beyond the parties and the item: half the XZZ rows become XDE
    rows (the delta profile's scoped embargoes), and rows carry models, sanctions procedures,
    derogation conditions, contract dates and national checks. A generator of its own, so that the
    other columns are the same as before these inputs existed."""
    rng = np.random.default_rng(seed + 7919)

    def pick(options: list[str]) -> np.ndarray:
        return np.array(options, dtype=object)[rng.choice(len(options), n)]

    moved = (data["recipient_country"] == "XZZ") & (rng.random(n) < 0.5)
    data["recipient_country"][moved] = "XDE"
    data["profile"][moved & (rng.random(n) < 0.7)] = "delta"
    data["item_model"] = pick(["", "", "T-72B3", "Mi-24", "AK-103"])
    data["sanctions_procedures"] = pick(
        [
            "",
            "",
            "un-delta:notification:given",
            "un-delta:notification:pending",
            "un-xzz:approval:refused",
            "un-xzz:approval:given;un-delta:notification:given",
        ]
    )
    data["derogation_conditions"] = pick(
        [
            "",
            "",
            "personal_protective_use=met",
            "humanitarian_or_protective_use=not_met",
            "humanitarian_or_protective_use=met;un_or_authorised_mission=met",
            "personal_protective_use=unknown",
            "demining=met",
            "demining=not_met;humanitarian_or_protective_use=met",
        ]
    )
    data["contract_date"] = pick(["", "", "", "2015-03-01", "2017-09-30"])
    national = np.where(rng.random(n) < 0.05, "true", "false").astype(object)
    national[data["embargo.un"] == ""] = ""
    national[rng.random(n) < 0.3] = ""
    data["embargo.national"] = national


def write_register(path: Path, n: int, seed: int = 0, chunk: int = 100_000, **kw: float) -> Path:
    """Write ``n`` rows to CSV or Parquet in chunks (bounded memory for large registers)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    writer = None
    try:
        for start in range(0, n, chunk):
            frame = generate(min(chunk, n - start), seed + start, start=start, **kw)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = (
                    pq.ParquetWriter(str(path), table.schema)
                    if path.suffix == ".parquet"
                    else pacsv.CSVWriter(
                        str(path), table.schema, write_options=pacsv.WriteOptions(quoting_style="needed")
                    )
                )
            writer.write_table(table) if path.suffix == ".parquet" else writer.write(table)
    finally:
        if writer is not None:
            writer.close()
    return path
