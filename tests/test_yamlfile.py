"""YAML hazards: duplicate keys, aliases, tags, depth, size, encoding, empty files."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from riskcheck import yamlfile
from riskcheck.errors import InputError
from riskcheck.yamlfile import MAX_BYTES, MAX_DEPTH, parse_text, read_document


def codes(text: str) -> list[str]:
    with pytest.raises(InputError) as e:
        parse_text(text, "x.yaml")
    return [d.code for d in e.value.diagnostics]


def test_positions_are_recorded_for_keys_and_values():
    doc = parse_text("a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n", "x.yaml")
    assert doc.data == {"a": {"b": 1, "c": ["x", {"d": 2}]}}
    assert str(doc.locate(("a", "b"))) == "x.yaml:2:6"  # the scalar value
    assert str(doc.locate(("a", "c"))) == "x.yaml:3:3"  # a collection: its key
    assert str(doc.locate(("a", "c", 1, "d"))) == "x.yaml:5:11"
    assert str(doc.locate(("a", "nope"))) == "x.yaml:1:1"  # walks up to the nearest known parent


def test_duplicate_keys_are_errors_even_in_flow_style():
    assert codes("a: 1\na: 2\n") == ["RC102"]
    assert codes("a: {b: 1, b: 2}\n") == ["RC102"]


def test_alias_expansion_bomb_is_rejected_fast_with_bounded_memory():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(
            f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        )
    tracemalloc.start()
    start = time.perf_counter()
    assert codes("\n".join(lines)) == ["RC103"]
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 20_000_000


@pytest.mark.parametrize(
    "tag",
    ["!!python/object/apply:os.system ['touch /tmp/rc-pwned']", "!!binary aGk=", "!custom x", "!!set {a}"],
)
def test_non_standard_tags_are_rejected_without_running_anything(tag: str):
    assert codes(f"a: {tag}\n") == ["RC104"]
    assert not Path("/tmp/rc-pwned").exists()


def test_depth_limit():
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    assert codes(deep) == ["RC105"]


def test_size_limit(tmp_path: Path):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * (MAX_BYTES + 1))
    with pytest.raises(InputError) as e:
        read_document(big)
    assert e.value.diagnostics[0].code == "RC105"


def test_invalid_utf8_is_located(tmp_path: Path):
    f = tmp_path / "bad.yaml"
    f.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputError) as e:
        read_document(f)
    d = e.value.diagnostics[0]
    assert (d.code, d.location.line, d.location.col) == (
        "RC106",
        2,
        7,
    )  # "b: caf" is six characters; the bad byte is the seventh


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "RC107"),
        ("# only a comment\n", "RC107"),
        ("- a\n- b\n", "RC107"),
        ("just text\n", "RC107"),
        ("a: 1\n---\nb: 2\n", "RC101"),
        ("a: \x07\n", "RC101"),
        ("d: 2014-02-30\n", "RC101"),
    ],
)
def test_other_malformed_documents(text: str, code: str):
    assert codes(text) == [code]


def test_missing_file_and_directory(tmp_path: Path):
    for p in (tmp_path / "nope.yaml", tmp_path):
        with pytest.raises(InputError) as e:
            read_document(p)
        assert e.value.diagnostics[0].code == "RC106"


ROOT = Path(__file__).resolve().parent.parent
EVERY_FILE = sorted(
    [
        *ROOT.glob("rules/**/*.yaml"),
        *ROOT.glob("scenarios/**/*.yaml"),
        *(ROOT / "tests" / "fixtures").rglob("*.yaml"),
    ]
)


def _outcome(text: str):
    try:
        doc = parse_text(text, "x.yaml")
        return ("ok", doc.data, doc.positions)
    except InputError as e:  # same place and code; libyaml words some syntax errors differently
        return ("error", [(str(d.location), d.code) for d in e.diagnostics])


@pytest.mark.skipif(not yamlfile._LIBYAML, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", EVERY_FILE, ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_and_pure_python_paths_agree(path: Path, monkeypatch: pytest.MonkeyPatch):
    text = path.read_text(errors="surrogateescape")
    fast = _outcome(text)
    monkeypatch.setattr(yamlfile, "_LIBYAML", False)
    assert _outcome(text) == fast


@pytest.mark.skipif(not yamlfile._LIBYAML, reason="PyYAML built without libyaml")
@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "a: " + "[" * 45 + "]" * 45 + "\n",
        "a: {b: 1, b: 2}\n",
        "a: !!python/name:os.system x\n",
        "a: [1, 2\n",
        "- 1\n- 2\n",
        "",
    ],
)
def test_both_paths_refuse_alike(text: str, monkeypatch: pytest.MonkeyPatch):
    fast = _outcome(text)
    monkeypatch.setattr(yamlfile, "_LIBYAML", False)
    slow = _outcome(text)
    assert fast[0] == "error" and fast == slow
