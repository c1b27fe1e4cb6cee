"""What the app offers to start from: states, recipient profiles and bundled scenarios.

No streamlit here: the pickers on the Assess and Training pages and the form read these lists,
and the tests read them without a browser.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..loader import load_profile
from ..paths import scenarios_dir

# --- countries and profiles -------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    fictional: bool = False
    profile: str | None = None  # path of the profile, relative to the scenarios folder

    @property
    def label(self) -> str:
        tag = "fictional training state, profile" if self.fictional else "profile"
        extra = f" - {tag}" if self.profile else (" - fictional" if self.fictional else "")
        return f"{self.name} ({self.code}){extra}"


@dataclass(frozen=True)
class ProfileInfo:
    code: str
    name: str
    rel: str  # relative to scenarios_dir()
    indicators: dict[str, dict[str, Any]]  # raw indicator mappings, as written in the file
    kind: str = "state"  # what the profile describes (a state, an armed group, a regional authority ...)


def _clean_name(name: str) -> str:
    return re.sub(r"\s*\(fictional\)\s*$", "", name)


@functools.lru_cache(maxsize=4)
def _all_profiles(root: str | None = None) -> list[ProfileInfo]:
    base = Path(root) if root else scenarios_dir()
    out = []
    for path in sorted((base / "profiles").glob("*.yaml")):
        try:
            model, doc = load_profile(path)
        except InputError:
            continue  # `riskcheck check` reports broken profiles; the form just does not offer them
        out.append(
            ProfileInfo(
                model.country,
                _clean_name(model.name),
                path.relative_to(base).as_posix(),
                dict(doc.data.get("indicators") or {}),
                model.kind,
            )
        )
    return out


def profiles(root: str | None = None) -> dict[str, ProfileInfo]:
    """State profiles by country code (scenarios/profiles/*.yaml): the profile a new recipient state
    starts from. A group's or a region's profile in that state is chosen as the kind of recipient."""
    out: dict[str, ProfileInfo] = {}
    for p in _all_profiles(root):
        if p.kind == "state" and p.code not in out:  # several profiles of one state: the first
            out[p.code] = p
    return out


def recipient_profiles(code: str, root: str | None = None) -> list[ProfileInfo]:
    """Every profile of a recipient in state ``code``: the state's first, then the other kinds."""
    mine = [p for p in _all_profiles(root) if p.code == code]
    return sorted(mine, key=lambda p: p.kind != "state")


@functools.lru_cache(maxsize=4)
def countries(root: str | None = None) -> tuple[Country, ...]:
    """Every ISO 3166-1 state (names from pycountry), plus the fictional training states.

    Fictional states come from the profiles and from the parties named in bundled scenarios
    (an exporter such as Ostria has no profile). Fictional states are listed first.
    """
    import pycountry

    base = Path(root) if root else scenarios_dir()
    profs = profiles(root)
    fictional: dict[str, Country] = {
        code: Country(code, p.name, True, p.rel) for code, p in profs.items() if code.startswith("X")
    }
    for path in sorted(base.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            parties = [data["transfer"]["exporter"], data["transfer"]["recipient"]]
        except (OSError, yaml.YAMLError, KeyError, TypeError):
            continue
        for p in parties:
            code = str(p.get("country", ""))
            if re.fullmatch(r"X[A-Z]{2}", code) and code not in fictional:
                fictional[code] = Country(code, _clean_name(str(p.get("name", code))), True, None)
    real = [
        Country(c.alpha_3, getattr(c, "common_name", None) or c.name, False, None)
        for c in pycountry.countries
    ]
    real = [Country(c.code, c.name, False, profs[c.code].rel) if c.code in profs else c for c in real]
    return (
        *sorted(fictional.values(), key=lambda c: c.name),
        *sorted(real, key=lambda c: c.name),
    )


def country_name(code: str, root: str | None = None) -> str:
    for c in countries(root):
        if c.code == code:
            return c.name
    return code


def official_name(code: str) -> str:
    """The name to put on the form when the officer does not type one."""
    import pycountry

    c = pycountry.countries.get(alpha_3=code)
    if c is not None:
        return str(getattr(c, "official_name", None) or c.name)
    return country_name(code)


# --- starting points --------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioInfo:
    """A bundled scenario as the pickers list it: found by its title, file name, id or the states in it."""

    path: str
    id: str
    title: str
    exporter: str  # the states' names as the scenario gives them (with their codes in ``search_text``)
    recipient: str
    injects: int
    search_text: str

    @property
    def label(self) -> str:
        """What a picker shows: the title, then where to (typing any part of it finds the scenario)."""
        return f"{self.title} · {self.recipient} · {Path(self.path).stem}"


def bundled_scenarios(root: str | None = None) -> dict[str, str]:
    """Bundled scenario files (path -> title), in file-name order (re-read when a file changes)."""
    return {p: s.title for p, s in scenario_index(root).items()}


def scenario_index(root: str | None = None) -> dict[str, ScenarioInfo]:
    """Bundled scenario files by path, in file-name order (re-read when a file changes)."""
    base = Path(root) if root else scenarios_dir()
    signature = tuple((str(p), p.stat().st_mtime_ns) for p in sorted(base.glob("*.yaml")))
    return _index(signature)


def _party(data: dict[str, Any], role: str) -> tuple[str, str]:
    p = ((data.get("transfer") or {}).get(role)) or {}
    code = str(p.get("country") or "")
    return code, _clean_name(str(p.get("name") or country_name(code) if code else ""))


@functools.lru_cache(maxsize=8)
def _index(signature: tuple[tuple[str, int], ...]) -> dict[str, ScenarioInfo]:
    out: dict[str, ScenarioInfo] = {}
    for name, _ in signature:
        path = Path(name)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(data, dict) or "transfer" not in data:
            continue
        (ex_code, exporter), (rc_code, recipient) = _party(data, "exporter"), _party(data, "recipient")
        sid, title = str(data.get("id") or path.stem), str(data.get("title") or path.stem)
        words = [title, sid, path.stem, exporter, recipient, ex_code, rc_code]
        words += [country_name(c) for c in (ex_code, rc_code) if c]
        out[str(path)] = ScenarioInfo(
            str(path),
            sid,
            title,
            exporter,
            recipient,
            len(data.get("injects") or []),
            " ".join(words).casefold(),
        )
    return out


def search_scenarios(words: str, root: str | None = None) -> list[ScenarioInfo]:
    """The bundled scenarios whose title, id, file name or states contain every word typed."""
    wanted = words.casefold().split()
    return [s for s in scenario_index(root).values() if all(w in s.search_text for w in wanted)]


def scenario_data(path: Path | str) -> dict[str, Any]:
    """A scenario file as a form document."""
    return form_document(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def form_document(data: dict[str, Any]) -> dict[str, Any]:
    """A scenario file's data as a form document (bundled or uploaded, the same way).
    Expectations and injects belong to tests and exercises, not to the case being assessed."""
    for key in ("expected", "injects"):
        data.pop(key, None)
    return data


def blank_scenario(today: dt.date | None = None) -> dict[str, Any]:
    return {
        "id": "new-transfer",
        "title": "New transfer",
        "date": today or dt.date.today(),
        "rules": "baseline",
        "fictional": False,
        "briefing": "Entered in the riskcheck app.",
        "transfer": {
            "exporter": {"country": "", "name": ""},
            "recipient": {"country": "", "name": ""},
            "end_user": {"type": "armed_forces", "name": ""},
            "items": [],
            "end_use": "",
            "channel": "commercial_licensed",
            "controls": [],
        },
        "evidence": {},
    }


def profile_for(data: dict[str, Any], root: str | None = None) -> ProfileInfo | None:
    """The profile a scenario document names (any profile file, not only the first of its state)."""
    rel = (data.get("evidence") or {}).get("profile")
    if not rel:
        return None
    return _profile_file(str(Path(root) if root else scenarios_dir()), str(rel))


@functools.lru_cache(maxsize=32)
def _profile_file(base: str, rel: str) -> ProfileInfo | None:
    try:
        model, doc = load_profile(Path(base) / rel)
    except InputError:
        return None
    return ProfileInfo(
        model.country, _clean_name(model.name), rel, dict(doc.data.get("indicators") or {}), model.kind
    )
