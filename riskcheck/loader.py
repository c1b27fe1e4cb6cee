"""Files -> validated models: YAML with positions, pydantic, then semantic checks.

``load_rules`` and ``load_scenario`` either return a fully valid object or
raise :class:`InputError` listing every problem found, each located at
``file:line:col``. Pydantic's error ``loc`` (a path of keys, indexes and union
tags) is mapped back onto the YAML node it came from.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import rules_model, scenario_model
from . import vocabulary as v
from .checks import check_rules
from .errors import Diagnostic, InputError, Location, display_path, suggest
from .facts import Fact, indicator_facts, missing
from .loaded import LoadedRules, LoadedScenario
from .profile_versions import text_as_of
from .rule_layers import resolve_layers
from .safe_read import PathOutside, confine, resolve
from .yamlfile import Document, parse_text, read_document


def _all_field_names(module: Any) -> set[str]:
    names: set[str] = set()
    for obj in vars(module).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for name, info in obj.model_fields.items():
                names.add(info.alias or name)
    return names


_KNOWN_KEYS = {
    "rules": _all_field_names(rules_model),
    "scenario": _all_field_names(scenario_model)
    | set(scenario_model.CountryIndicators.model_fields)
    | set(scenario_model.UnitIndicators.model_fields)
    | set(scenario_model.RecipientIndicators.model_fields),
}


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop union tags and model names from a pydantic loc, keeping real keys/indexes."""
    path: list[Any] = []
    node = data
    for part in loc:
        if (
            isinstance(node, dict)
            and part in node
            or isinstance(node, list)
            and isinstance(part, int)
            and 0 <= part < len(node)
        ):
            path.append(part)
            node = node[part]
    return tuple(path)


def schema_diagnostics(doc: Document, error: ValidationError, kind: str) -> list[Diagnostic]:
    seen: set[tuple[Any, ...]] = set()
    out: list[Diagnostic] = []
    for e in error.errors(include_url=False):
        loc = tuple(e["loc"])
        path = _data_path(doc.data, loc)
        etype = e["type"]
        if etype == "extra_forbidden":
            name = str(loc[-1])
            code, msg = "RC201", f"unknown key {name!r}{suggest(name, _KNOWN_KEYS[kind])}"
        elif etype == "missing":
            code, msg = "RC202", f"missing required key {loc[-1]!r}"
        else:
            where = ".".join(str(p) for p in path) or "(top level)"
            code = "RC203"
            msg = f"{where}: {e['msg']}"
            expected = (e.get("ctx") or {}).get("expected")
            if etype == "literal_error" and expected:
                options = [x.strip(" '") for x in str(expected).replace(" or ", ",").split(",")]
                got = e.get("input")
                msg = f"{where}: {got!r} is not one of the allowed values{suggest(got, options)}"
                if len(options) <= 8:
                    msg += f"; allowed: {', '.join(options)}"
        if (path, code) in seen:  # unions report one problem once per member
            continue
        seen.add((path, code))
        out.append(Diagnostic(doc.locate(path), code, msg))
    return out


def canonical_hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- rules ----------------------------------------------------------------------


def validate_rules_document(doc: Document, base_dir: Path | None = None) -> LoadedRules:
    """Validate a parsed rule file; ``base_dir`` is where its reference data files (and the rule file
    it extends) are looked up."""
    if base_dir is not None:
        doc = resolve_layers(doc, base_dir)
    try:
        model = rules_model.RuleSet.model_validate(doc.data)
    except ValidationError as e:
        raise InputError(schema_diagnostics(doc, e, "rules")) from None
    sha = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    loaded = LoadedRules(model=model, doc=doc, sha256=sha)
    found = check_rules(loaded)
    problems = [d for d in found if d.severity == "error"]
    warnings = tuple(d for d in found if d.severity != "error")
    loaded = LoadedRules(model=model, doc=doc, sha256=sha, warnings=warnings)
    ref = model.reference_data.get("embargoes")
    if ref is not None and base_dir is not None:
        try:
            elist, edoc = load_embargo_list(_confined(ref, base_dir, doc, ("reference_data", "embargoes")))
            loaded = LoadedRules(
                model=model,
                doc=doc,
                sha256=sha,
                embargoes=elist,
                embargoes_path=edoc.path,
                reference_sha256=hashlib.sha256(edoc.text.encode("utf-8")).hexdigest(),
                warnings=warnings,
            )
        except InputError as e:
            if e.diagnostics[0].code == "RC106":
                problems.append(
                    Diagnostic(
                        doc.locate(("reference_data", "embargoes")),
                        "RC318",
                        f"reference data {ref!r}: {e.diagnostics[0].message}",
                    )
                )
            else:
                problems += e.diagnostics
    if problems:
        raise InputError(problems)
    return loaded


def _confined(
    written: str, base_dir: Path, doc: Document, loc: tuple[Any, ...], *, absolute_ok: bool = False
) -> Path:
    """A path written in ``doc`` (reference data, a profile), confined to ``doc``'s folder: nothing
    outside it is read, so no key name of another file on the server is ever echoed."""
    try:
        return confine(written, base_dir, absolute_ok=absolute_ok)
    except PathOutside as e:
        code = "RC318" if loc[0] == "reference_data" else "RC401"
        what = "reference data" if code == "RC318" else "profile"
        raise InputError([Diagnostic(doc.locate(loc), code, f"{what} {written!r}: {e}")]) from None


def load_embargo_list(path: Path) -> tuple[scenario_model.EmbargoList, Document]:
    doc = read_document(path)
    return _validate(doc, scenario_model.EmbargoList), doc


def load_rules(path: Path | str) -> LoadedRules:
    p = Path(path)
    doc = read_document(p)
    return validate_rules_document(doc, resolve(p).parent)


# --- scenarios ------------------------------------------------------------------


def _validate(doc: Document, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(doc.data)
    except ValidationError as e:
        raise InputError(schema_diagnostics(doc, e, "scenario")) from None


def load_profile(path: Path) -> tuple[scenario_model.Profile, Document]:
    """A shared profile, read once per version of the file (many scenarios share one profile)."""
    try:
        st = path.stat()
    except OSError:
        return _load_profile(path)  # read_document reports the problem, located
    # The working directory is part of the key: paths in messages are shown relative to it.
    return _profile_cached(str(path), st.st_mtime_ns, st.st_size, os.getcwd())


@functools.lru_cache(maxsize=256)
def _profile_cached(path: str, mtime_ns: int, size: int, cwd: str) -> tuple[scenario_model.Profile, Document]:
    return _load_profile(Path(path))


def _load_profile(path: Path) -> tuple[scenario_model.Profile, Document]:
    doc = read_document(path)
    if "transfer" in doc.data and "country" not in doc.data:
        # a scenario named as a profile (or as its own): say so, not "unknown key 'expected'"
        raise InputError(
            [
                Diagnostic(
                    doc.locate(("transfer",)),
                    "RC403",
                    "this file is a scenario (it has 'transfer'), but a profile is expected here: a "
                    "profile file has id, country, name, fictional and indicators",
                )
            ]
        )
    profile: scenario_model.Profile = _validate(doc, scenario_model.Profile)
    problems = _profile_kind_problems(profile, doc)
    if profile.kind != "state" and profile.host_profile is not None and not problems:
        _host_of(profile, doc, resolve(path).parent, None)
    if problems:
        raise InputError(problems)
    return profile, doc


# Evidence a shared profile may hold for every scenario that names it.
SHARED = ("embargoes", "conflicts", "patterns")


def with_shared(ev: Any, profile: scenario_model.Profile | None, host: Any = None) -> Any:
    """The evidence of a scenario (or a kept case) with what it leaves to its shared profile:
    embargoes, conflicts and patterns come from the profile where the scenario records none of
    its own. A non-state recipient's profile falls back on its host state's for embargoes and
    conflicts, never for patterns: a pattern of violations is the conduct of the forces that commit it."""
    for key in SHARED:
        for source in (profile, host if key != "patterns" else None):
            if getattr(ev, key) is None and source is not None and getattr(source, key) is not None:
                ev = ev.model_copy(update={key: getattr(source, key)})
    # Patterns are two findings: a scenario that records one keeps the profile's other.
    own, shared = ev.patterns, profile.patterns if profile is not None else None
    if own is not None and shared is not None and own is not shared:
        kept = {k: getattr(shared, k) for k in ("ihl", "repression") if getattr(own, k) is None}
        if kept:
            ev = ev.model_copy(update={"patterns": own.model_copy(update=kept)})
    return ev


def _profile_version(path: Path, day: dt.date) -> tuple[scenario_model.Profile, Document] | None:
    """The profile as it stood at the end of ``day``, from its version log (None: no log kept)."""
    found = text_as_of(path, day)
    if found is None:
        return None
    text, version = found
    doc = parse_text(text, f"{display_path(path)}@v{version.n}")
    return _validate(doc, scenario_model.Profile), doc


def scenario_from_document(
    doc: Document, base_dir: Path, profile_as_of: dt.date | None = None, *, profile_root: Path | None = None
) -> LoadedScenario:
    """The scenario of a parsed document; its profile path is confined to ``base_dir`` (the file's
    folder). ``profile_root``: for a document riskcheck built itself (a register row), the profile
    folder the user chose, which the path (absolute there) must lie in instead. ``profile_as_of``:
    read the shared profile as it stood on that date (its version log)."""
    model: scenario_model.Scenario = _validate(doc, scenario_model.Scenario)
    ev = model.evidence
    profile = profile_doc = host = host_doc = None
    country: dict[str, Fact] = {}
    unit: dict[str, Fact] = {}
    recipient: dict[str, Fact] = {}
    if ev.profile is not None:
        root = profile_root if profile_root is not None else base_dir
        ppath = _confined(
            ev.profile, root, doc, ("evidence", "profile"), absolute_ok=profile_root is not None
        )
        profile, profile_doc = _read_profile(ppath, profile_as_of, doc, ("evidence", "profile"), ev.profile)
        if profile.country != model.transfer.recipient.country:
            raise InputError(
                [
                    Diagnostic(
                        doc.locate(("evidence", "profile")),
                        "RC402",
                        f"profile {profile.id!r} describes {profile.country}, but the recipient is "
                        f"{model.transfer.recipient.country}",
                    )
                ]
            )
        _check_profile_kind(profile, profile_doc, model, doc)
        if profile.kind == "state":
            country = indicator_facts(profile.indicators, profile_doc, ("indicators",), "profile")
        else:
            host, host_doc = _host_of(profile, profile_doc, ppath.parent, profile_as_of)
            country, unit, recipient = _own_record(profile, profile_doc, host, host_doc)
    elif _given(ev.recipient):
        _not_for_a_state(doc, "a scenario without a profile describes a state")
    local = indicator_facts(ev.country, doc, ("evidence", "country"), "scenario")
    overrides = tuple(sorted(k for k in local if k in country and not country[k].is_missing))
    for k in overrides:
        local[k] = Fact(**{**_fact_fields(local[k]), "origin": "override"})
    country.update(local)
    unit.update(indicator_facts(ev.unit, doc, ("evidence", "unit"), "scenario"))
    recipient.update(indicator_facts(ev.recipient, doc, ("evidence", "recipient"), "scenario"))

    model = model.model_copy(update={"evidence": with_shared(ev, profile, host)})

    def at(*loc: Any, d: Document = doc) -> Location:
        return d.locate(loc)

    where = {
        "transfer": at("transfer"),
        "country": at("evidence", "country"),
        "unit": at("evidence", "unit"),
        "prior_denials": at("evidence", "prior_denials"),
        "prior_transfers": at("evidence", "prior_transfers"),
        "control_record": at("evidence", "control_record"),
        "holder": at("transfer", "holder"),
        "profile": at("evidence", "profile"),
        "recipient": at("evidence", "recipient")
        if profile_doc is None or "recipient" in doc.data.get("evidence", {})
        else at("recipient", d=profile_doc),
    }
    for key in SHARED:
        if key in doc.data.get("evidence", {}) or profile_doc is None:
            where[key] = at("evidence", key)
        elif profile is not None and getattr(profile, key) is None and host_doc is not None:
            where[key] = at(key, d=host_doc)
        else:
            where[key] = at(key, d=profile_doc)
    resolved = {"scenario": doc.data, "profile": profile_doc.data if profile_doc else None}
    if host_doc is not None:
        resolved["host"] = host_doc.data
    return LoadedScenario(
        model=model,
        doc=doc,
        profile=profile,
        profile_doc=profile_doc,
        country=country,
        unit=unit,
        where=where,
        sha256=canonical_hash(resolved),
        overrides=overrides,
        recipient=recipient,
        kind=profile.kind if profile is not None else "state",
        host=host,
        host_doc=host_doc,
    )


def _read_profile(
    path: Path, as_of: dt.date | None, doc: Document, loc: tuple[Any, ...], written: str
) -> tuple[scenario_model.Profile, Document]:
    """A profile named at ``loc`` in ``doc``: as it stood on ``as_of`` where a version log is kept; a
    file that cannot be read is reported where it is named."""
    try:
        versioned = _profile_version(path, as_of) if as_of is not None else None
        return versioned or load_profile(path)
    except InputError as e:
        first = e.diagnostics[0]
        if first.code == "RC106":
            raise InputError(
                [Diagnostic(doc.locate(loc), "RC401", f"profile {written!r}: {first.message}")]
            ) from None
        raise


def _given(group: Any) -> set[str]:
    """The indicators a group (a model built from the vocabulary) sets to something."""
    return {k for k in group.model_fields_set if getattr(group, k) is not None}


def _not_for_a_state(doc: Document, why: str) -> None:
    raise InputError(
        [
            Diagnostic(
                doc.locate(("evidence", "recipient")),
                "RC404",
                f"'recipient' indicators describe a non-state or sub-state recipient, but {why}",
            )
        ]
    )


def _profile_kind_problems(profile: scenario_model.Profile, pdoc: Document) -> list[Diagnostic]:
    """What a profile of its kind cannot hold: a state's profile has no host, no own 'recipient' or
    'unit' indicators; another kind's profile holds only its own record among the indicators."""
    problems = []
    if profile.kind == "state":
        # (what is set, not what is written: a profile written back whole lists empty groups)
        own = {
            "host_profile": profile.host_profile is not None,
            "recipient": bool(_given(profile.recipient)),
            "unit": bool(_given(profile.unit)),
        }
        for key, present in own.items():
            if present:
                problems.append(
                    Diagnostic(
                        pdoc.locate((key,)),
                        "RC404",
                        f"{key!r} belongs to a non-state or sub-state profile; this one is a state's "
                        f"(set 'kind': {', '.join(k for k in v.PROFILE_KINDS if k != 'state')})",
                    )
                )
    else:
        for key in sorted(_given(profile.indicators) - set(v.RECORD_INDICATORS)):
            problems.append(
                Diagnostic(
                    pdoc.locate(("indicators", key)),
                    "RC404",
                    f"indicator {key!r} describes the host state: put it in the host state's profile "
                    f"('host_profile'); a {profile.kind} profile holds its own record only",
                )
            )
    return problems


def _check_profile_kind(
    profile: scenario_model.Profile, pdoc: Document, model: scenario_model.Scenario, doc: Document
) -> None:
    """A profile serves end users of its kind, and only a non-state or sub-state recipient has
    'recipient' indicators: every problem at once."""
    problems = _profile_kind_problems(profile, pdoc)
    if profile.kind == "state" and _given(model.evidence.recipient):
        problems.append(
            Diagnostic(
                doc.locate(("evidence", "recipient")),
                "RC404",
                f"'recipient' indicators describe a non-state or sub-state recipient, but profile "
                f"{profile.id!r} is a state's",
            )
        )
    allowed = v.PROFILE_KIND_END_USERS[profile.kind]
    if model.transfer.end_user.type not in allowed:
        problems.append(
            Diagnostic(
                doc.locate(("transfer", "end_user", "type")),
                "RC406",
                f"end user {model.transfer.end_user.type!r} does not fit profile {profile.id!r} (a "
                f"{profile.kind}); it receives for: {', '.join(allowed)}",
            )
        )
    if problems:
        raise InputError(problems)


def _host_of(
    profile: scenario_model.Profile, pdoc: Document, folder: Path, as_of: dt.date | None
) -> tuple[scenario_model.Profile | None, Document | None]:
    """The host state's profile a non-state or sub-state profile names (None when it names none)."""
    if profile.host_profile is None:
        return None, None
    hpath = _confined(profile.host_profile, folder, pdoc, ("host_profile",))
    host, hdoc = _read_profile(hpath, as_of, pdoc, ("host_profile",), profile.host_profile)
    if host.kind != "state" or host.country != profile.country:
        what = f"a {host.kind} profile" if host.kind != "state" else f"the profile of {host.country}"
        raise InputError(
            [
                Diagnostic(
                    pdoc.locate(("host_profile",)),
                    "RC405",
                    f"host_profile {profile.host_profile!r} is {what}; the host is the state "
                    f"{profile.country}, described by a state profile",
                )
            ]
        )
    return host, hdoc


def _own_record(
    profile: scenario_model.Profile,
    pdoc: Document,
    host: scenario_model.Profile | None,
    hdoc: Document | None,
) -> tuple[dict[str, Fact], dict[str, Fact], dict[str, Fact]]:
    """A non-state or sub-state recipient's facts: the country facts from its host state's profile,
    its record (forces, conduct, stockpiles) from its own profile only. A record indicator its own
    profile lacks is missing, never the host state's value: the central state's depots and conduct
    say nothing about a regional force's or a group's."""
    country: dict[str, Fact] = {}
    if host is not None and hdoc is not None:
        from_host = indicator_facts(host.indicators, hdoc, ("indicators",), "host_profile")
        country = {k: f for k, f in from_host.items() if k not in v.RECORD_INDICATORS}
    at = pdoc.locate(("indicators",))
    for k in v.RECORD_INDICATORS:
        country[k] = missing(at, f"not recorded in {profile.id!r}, the recipient's own profile")
    country.update(indicator_facts(profile.indicators, pdoc, ("indicators",), "profile"))
    unit = indicator_facts(profile.unit, pdoc, ("unit",), "profile")
    recipient = indicator_facts(profile.recipient, pdoc, ("recipient",), "profile")
    return country, unit, recipient


def _fact_fields(f: Fact) -> dict[str, Any]:
    return {s: getattr(f, s) for s in Fact.__slots__}


def load_scenario(path: Path | str, profile_as_of: dt.date | None = None) -> LoadedScenario:
    p = Path(path)
    doc = read_document(p)
    return scenario_from_document(doc, resolve(p).parent, profile_as_of)
