"""One importer per published data set; ``SOURCES`` names them for ``riskcheck profile import``."""

from __future__ import annotations

from dataclasses import dataclass

from . import att, cirights, cpi, hdi, pts, sipri, ucdp
from .base import Extract, Options, Reader, Value


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    indicators: tuple[str, ...]
    read: Reader


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source("pts", pts.DATASET, ("pts",), pts.read),
        Source("cirights", cirights.DATASET, ("cirights_physint",), cirights.read),
        Source("cpi", cpi.DATASET, ("cpi",), cpi.read),
        Source("ucdp", ucdp.DATASET, ("internal_conflict", "interstate_conflict"), ucdp.read),
        Source("hdi", hdi.DATASET, ("hdi",), hdi.read),
        Source("sipri", sipri.DATASET, ("milex_pct_gdp",), sipri.read),
        Source("att", att.DATASET, ("att_state_party",), att.read),
    )
}

__all__ = ["SOURCES", "Extract", "Options", "Source", "Value"]
