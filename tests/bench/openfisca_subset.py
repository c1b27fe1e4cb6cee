"""The riskcheck peer subset (prohibitions, criterion 7 diversion, ATT Art. 7(3)) as OpenFisca variables.

One entity, ``application``; every variable is yearly and computed for one year (the policy has
no periods; ETERNITY formulas fail in openfisca-core 46). OpenFisca has no
missing value, so the inputs are encoded: a three-valued fact is an int (-1 missing, 0 false, 1 true),
a number is a float with -1 for missing (every real value here is >= 0), a closed vocabulary is an
Enum with an ``unknown`` member, a control offered is a bool per control. ``build(columns)`` turns
riskcheck's fact columns (values + int32 codes, -1 missing) into those arrays and a simulation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum, EnumArray
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

Application = build_entity(
    key="application", plural="applications", label="An export licence application", is_person=True
)
PERIOD_UNIT = DateUnit.YEAR  # ETERNITY formulas fail in openfisca-core 46 (instant year -1)
PERIOD = "2024"


class EndUserType(Enum):
    unknown = "unknown"
    armed_forces = "armed_forces"
    police_security = "police_security"
    other_government = "other_government"
    non_state_armed_group = "non_state_armed_group"
    private = "private"
    sub_state_authority = "sub_state_authority"
    un_peace_operation = "un_peace_operation"
    humanitarian_or_media = "humanitarian_or_media"


class Channel(Enum):
    unknown = "unknown"
    g2g_with_eum = "g2g_with_eum"
    g2g = "g2g"
    commercial_licensed = "commercial_licensed"
    brokered = "brokered"
    ad_hoc_programme = "ad_hoc_programme"
    donation = "donation"


class GbvRisk(Enum):
    unknown = "unknown"
    low = "low"
    moderate = "moderate"
    high = "high"


class Decision(Enum):
    approve = "approve"
    approve_with_conditions = "approve_with_conditions"
    refer = "refer"
    deny = "deny"
    prohibited = "prohibited"


TRI = (
    "embargo_un",
    "embargo_eu",
    "embargo_osce",
    "atrocity_use_known",
    "implicated_in_war_crimes",
    "diversion_history",
    "reexport_breaches",
    "quantity_plausible",
    "ihl_violations_credible",
    "credible_gvhr_information",
)
NUMBERS = ("cpi", "pts", "max_service_life_years")
ENUMS = {"end_user_type": EndUserType, "channel": Channel, "gbv_risk": GbvRisk}
CONTROLS = (
    "euc_government",
    "no_reexport_clause",
    "delivery_verification",
    "serial_number_lists",
    "psv_consent",
    "enhanced_eum",
    "pssm_assistance",
    "unit_vetting",
    "ihl_training",
)


def _input(name: str, value_type: Any, default: Any, **kw: Any) -> type[Variable]:
    attrs = dict(
        value_type=value_type,
        entity=Application,
        definition_period=PERIOD_UNIT,
        default_value=default,
        label=name,
        **kw,
    )
    return type(name, (Variable,), attrs)


def _formula(name: str, value_type: Any, fn: Any, **kw: Any) -> type[Variable]:
    attrs = dict(value_type=value_type, entity=Application, definition_period=PERIOD_UNIT, label=name, **kw)
    attrs["formula"] = fn  # OpenFisca reads it from the class dict, unbound
    return type(name, (Variable,), attrs)


INPUTS: list[type[Variable]] = [
    *(_input(n, int, -1) for n in TRI),
    *(_input(n, float, -1.0) for n in NUMBERS),
    *(_input(n, Enum, e.unknown, possible_values=e) for n, e in ENUMS.items()),
    _input("recipient_country", str, ""),
    _input("as_of_days", int, 0),
    *(_input(f"has_{c}", bool, False) for c in CONTROLS),
]


def _sel(conds: list[np.ndarray], values: list[float], default: float) -> np.ndarray:
    return np.select(conds, values, default)


# --- prohibitions ------------------------------------------------------------------------------


def p_un(a: Any, p: Any) -> np.ndarray:
    x = a("embargo_un", p)
    return _sel([x == 1, x == -1], [4, 2], 0)


def p_eu_osce(a: Any, p: Any) -> np.ndarray:
    eu, osce = a("embargo_eu", p), a("embargo_osce", p)
    return _sel([(eu == 1) | (osce == 1), (eu == -1) | (osce == -1)], [4, 2], 0)


def p_atrocity(a: Any, p: Any) -> np.ndarray:
    x = a("atrocity_use_known", p)
    return _sel([x == 1, x == -1], [4, 2], 0)


def p_armed_groups(a: Any, p: Any) -> np.ndarray:
    eut, war = a("end_user_type", p), a("implicated_in_war_crimes", p)
    cleared = (eut != EndUserType.non_state_armed_group) | (war == 0)
    return _sel([cleared, war == -1], [0, 2], 4)


def p_syria(a: Any, p: Any) -> np.ndarray:
    eut = a("end_user_type", p)
    forces = (
        (eut == EndUserType.armed_forces)
        | (eut == EndUserType.police_security)
        | (eut == EndUserType.other_government)
    )
    hit = (a("as_of_days", p) <= 20065) & (a("recipient_country", p) == "SYR") & forces
    return np.where(hit, 4, 0)


def prohibition_severity(a: Any, p: Any) -> np.ndarray:
    names = ("p_un", "p_eu_osce", "p_atrocity", "p_armed_groups", "p_syria")
    return np.max([a(n, p) for n in names], axis=0)


# --- criterion 7 -----------------------------------------------------------------------------------

CHANNEL_SCORE = np.array([4, 0, 1, 1, 3, 4, 4])  # by Channel index (unknown first)


def s_channel(a: Any, p: Any) -> np.ndarray:
    return CHANNEL_SCORE[a("channel", p).view(np.ndarray)]


def s_diversion(a: Any, p: Any) -> np.ndarray:
    return np.where(a("diversion_history", p) == 0, 0, 4)


def s_reexport(a: Any, p: Any) -> np.ndarray:
    return np.where(a("reexport_breaches", p) == 0, 0, 3)


def s_cpi(a: Any, p: Any) -> np.ndarray:
    x = a("cpi", p)
    return _sel([x < 0, x < 20, x < 40, x < 60, x < 80], [4, 4, 3, 2, 1], 0)


def s_quantity(a: Any, p: Any) -> np.ndarray:
    x = a("quantity_plausible", p)
    return _sel([x == 1, x == 0], [0, 3], 2)


def s_service(a: Any, p: Any) -> np.ndarray:
    x = a("max_service_life_years", p)
    return _sel([x < 0, x < 15, x < 30], [2, 0, 1], 2)


C7 = ("s_channel", "s_diversion", "s_reexport", "s_cpi", "s_quantity", "s_service")
C7_WEIGHTS = (2, 2, 1, 1, 1, 1)


def c7_inherent(a: Any, p: Any) -> np.ndarray:
    return _c7_scores([a(n, p).astype(np.float64) for n in C7], C7_WEIGHTS)


def c7_reduction(a: Any, p: Any) -> np.ndarray:
    def h(c: str) -> np.ndarray:
        return a(f"has_{c}", p)

    credit = (
        0.25 * h("euc_government")
        + 0.25 * h("no_reexport_clause")
        + 0.25 * h("delivery_verification")
        + 0.25 * h("serial_number_lists")
        + 0.5 * (h("psv_consent") & h("euc_government"))
        + 0.5 * h("enhanced_eum")
        + 0.25 * h("pssm_assistance")
    )
    return np.minimum(credit, 1.5)


def _level(
    residual: np.ndarray,
    inherent: np.ndarray,
    reduction: np.ndarray,
    deny: float,
    refer: float,
    favourable: np.ndarray,
    gap: np.ndarray,
) -> np.ndarray:
    """The level; a denial that the missing evidence at its most favourable (``favourable``: the
    inherent risk so read) would lift is referred (engine 0.2: refusals rest on evidence)."""
    awaiting = (residual >= deny) & gap & (np.maximum(0, favourable - reduction) < deny)
    return _sel(
        [
            (residual >= deny) & ~awaiting,
            residual >= refer,
            (residual >= 1.5) | ((inherent >= 1.5) & (reduction > 0)),
        ],
        [3, 2, 1],
        0,
    )


def _c7_scores(s: list[np.ndarray], w: tuple[int, ...]) -> np.ndarray:
    total = 0.0
    for wi, x in zip(w, s, strict=True):
        total = total + wi * x
    return np.minimum(4, np.maximum(np.maximum(total / sum(w), np.max(s, axis=0) - 1), 0))


def c7_missing(a: Any, p: Any) -> list[np.ndarray]:
    """Per C7 factor, where its evidence is missing (every factor's best score is 0)."""
    return [
        a("channel", p) == Channel.unknown,
        a("diversion_history", p) == -1,
        a("reexport_breaches", p) == -1,
        a("cpi", p) < 0,
        a("quantity_plausible", p) == -1,
        a("max_service_life_years", p) < 0,
    ]


def c7_favourable(a: Any, p: Any) -> np.ndarray:
    miss = c7_missing(a, p)
    s = [np.where(m, 0.0, a(n, p).astype(np.float64)) for n, m in zip(C7, miss, strict=True)]
    return _c7_scores(s, C7_WEIGHTS)


def c7_gap(a: Any, p: Any) -> np.ndarray:
    return np.logical_or.reduce(c7_missing(a, p))


def c7_residual(a: Any, p: Any) -> np.ndarray:
    return np.maximum(0, a("c7_inherent", p) - a("c7_reduction", p))


def c7_level(a: Any, p: Any) -> np.ndarray:
    fav, gap = a("c7_favourable", p), a("c7_gap", p)
    return _level(a("c7_residual", p), a("c7_inherent", p), a("c7_reduction", p), 3, 2.5, fav, gap)


# --- ATT Art. 7(3) -----------------------------------------------------------------------------------


def s_ihl(a: Any, p: Any) -> np.ndarray:
    return np.where(a("ihl_violations_credible", p) == 0, 0, 4)


def s_pts(a: Any, p: Any) -> np.ndarray:
    x = a("pts", p)
    return _sel([x < 0, x < 3, x < 4, x < 5], [4, 0, 2, 3], 4)


GBV_SCORE = np.array([4, 0, 2, 4])  # by GbvRisk index (unknown first)


def s_gbv(a: Any, p: Any) -> np.ndarray:
    return GBV_SCORE[a("gbv_risk", p).view(np.ndarray)]


def _mean(ihl: np.ndarray, pts: np.ndarray, gbv: np.ndarray, w: Any) -> np.ndarray:
    return (2 * ihl + w * pts + gbv) / (3 + w)


def att_weights(a: Any, p: Any) -> np.ndarray:
    """The PTS weight used (1, or 0.25 where the unit's record outranks it or is the worse reading)."""
    ihl, pts, gbv = (a(n, p).astype(np.float64) for n in ("s_ihl", "s_pts", "s_gbv"))
    missing = a("credible_gvhr_information", p) == -1
    k_w = np.where(missing, 1.0, 0.25)
    k_worst = np.where(missing, np.maximum(np.maximum(ihl, pts), gbv), np.maximum(ihl, gbv))
    k_inherent = np.maximum(_mean(ihl, pts, gbv, k_w), k_worst - 1)
    a_inherent = np.maximum(_mean(ihl, pts, gbv, 0.25), np.maximum(ihl, gbv) - 1)
    use_alt = missing & (a_inherent > k_inherent)
    return np.where(use_alt, 0.25, k_w)


def att_inherent(a: Any, p: Any) -> np.ndarray:
    ihl, pts, gbv = (a(n, p).astype(np.float64) for n in ("s_ihl", "s_pts", "s_gbv"))
    w = a("att_weights", p).astype(np.float64)
    outranked = w == 0.25  # the alternative reading was used, or the unit's record is known
    worst = np.where(outranked, np.maximum(ihl, gbv), np.maximum(np.maximum(ihl, pts), gbv))
    return np.minimum(4, np.maximum(np.maximum(_mean(ihl, pts, gbv, w), worst - 1), 0))


def att_favourable(a: Any, p: Any) -> np.ndarray:
    """The inherent risk with missing scores at their best (0) and, where the unit's record is
    missing, the less risky of counting the PTS fully or outranked."""
    ihl_m, pts_m = a("ihl_violations_credible", p) == -1, a("pts", p) < 0
    gbv_m = a("gbv_risk", p) == GbvRisk.unknown
    ihl, pts, gbv = (
        np.where(m, 0.0, a(n, p).astype(np.float64))
        for n, m in (("s_ihl", ihl_m), ("s_pts", pts_m), ("s_gbv", gbv_m))
    )
    out = np.maximum(_mean(ihl, pts, gbv, 0.25), np.maximum(ihl, gbv) - 1)
    full = np.maximum(_mean(ihl, pts, gbv, 1.0), np.maximum(np.maximum(ihl, pts), gbv) - 1)
    unit_missing = a("credible_gvhr_information", p) == -1
    return np.minimum(4, np.maximum(np.where(unit_missing, np.minimum(full, out), out), 0))


def att_gap(a: Any, p: Any) -> np.ndarray:
    names = ("ihl_violations_credible", "pts", "credible_gvhr_information")
    gap = np.logical_or.reduce([a(n, p) == -1 for n in names])
    return gap | (a("gbv_risk", p) == GbvRisk.unknown)


def att_reduction(a: Any, p: Any) -> np.ndarray:
    credit = 0.25 * (a("has_unit_vetting", p) & (a("credible_gvhr_information", p) == 0)) + 0.25 * (
        a("has_ihl_training", p) & (a("implicated_in_war_crimes", p) == 0)
    )
    return np.minimum(credit, 0.75)


def att_residual(a: Any, p: Any) -> np.ndarray:
    return np.maximum(0, a("att_inherent", p) - a("att_reduction", p))


def att_level(a: Any, p: Any) -> np.ndarray:
    fav, gap = a("att_favourable", p), a("att_gap", p)
    return _level(a("att_residual", p), a("att_inherent", p), a("att_reduction", p), 3.5, 2.75, fav, gap)


def severity(a: Any, p: Any) -> np.ndarray:
    return np.max([a("prohibition_severity", p), a("c7_level", p), a("att_level", p)], axis=0)


def decision(a: Any, p: Any) -> np.ndarray:
    return a("severity", p)  # Decision's members are in severity order: the index is the severity


FLOAT = float
FORMULAS: list[type[Variable]] = [
    *(
        _formula(fn.__name__, int, fn)
        for fn in (
            p_un,
            p_eu_osce,
            p_atrocity,
            p_armed_groups,
            p_syria,
            prohibition_severity,
            s_channel,
            s_diversion,
            s_reexport,
            s_cpi,
            s_quantity,
            s_service,
            c7_level,
            s_ihl,
            s_pts,
            s_gbv,
            att_level,
            severity,
        )
    ),
    *(
        _formula(fn.__name__, FLOAT, fn)
        for fn in (
            c7_inherent,
            c7_reduction,
            c7_residual,
            att_weights,
            att_inherent,
            att_reduction,
            att_residual,
            c7_favourable,
            att_favourable,
        )
    ),
    *(_formula(fn.__name__, bool, fn) for fn in (c7_gap, att_gap)),
    _formula("decision", Enum, decision, possible_values=Decision, default_value=Decision.approve),
]


def system() -> TaxBenefitSystem:
    tbs = TaxBenefitSystem([Application])
    tbs.add_variables(*INPUTS, *FORMULAS)
    return tbs


# --- from riskcheck's fact columns ------------------------------------------------------------------


def _gather(col: Any, lut: list[Any], missing: Any, dtype: Any) -> np.ndarray:
    table = np.array([*lut, missing], dtype=dtype)  # code -1 takes the last entry: missing
    return table[col.codes]


def arrays(cols: dict[str, Any], controls: Any, as_of_days: np.ndarray) -> dict[str, np.ndarray]:
    """OpenFisca input arrays from riskcheck Columns (``values[codes]``, code -1 missing)."""
    out: dict[str, np.ndarray] = {}
    for n in TRI:
        c = cols[n]
        out[n] = _gather(c, [1 if v is True else 0 if v is False else -1 for v in c.values], -1, np.int32)
    for n in NUMBERS:
        c = cols[n]
        out[n] = _gather(c, [float(v) for v in c.values], -1.0, np.float64)
    for n, e in ENUMS.items():
        c = cols[n]
        idx = _gather(c, [e[v].index for v in c.values], e.unknown.index, np.int16)
        out[n] = EnumArray(idx, e)
    c = cols["recipient_country"]
    out["recipient_country"] = _gather(c, list(c.values), "", object)
    for k in CONTROLS:
        out[f"has_{k}"] = _gather(controls, [k in v for v in controls.values], False, bool)
    out["as_of_days"] = as_of_days.astype(np.int32)
    return out


def build(tbs: TaxBenefitSystem, inputs: dict[str, np.ndarray], n: int) -> Any:
    sim = SimulationBuilder().build_default_simulation(tbs, count=n)
    for name, arr in inputs.items():
        sim.set_input(name, PERIOD, arr)
    return sim


def decisions(sim: Any) -> np.ndarray:
    """The decision of every application, as names."""
    return sim.calculate("decision", PERIOD).decode_to_str()
