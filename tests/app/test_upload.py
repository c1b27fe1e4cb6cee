"""Uploading a scenario file on the Assess page: size cap, strict reading, validation, profiles.

Most refusals are tested on ``upload.read_upload`` (bytes and a name in, a form document or located
messages out), which the sidebar's "Load into the form" button calls; the wiring, the caption and
"a refused file keeps the case" are tested through the page with AppTest's file uploader.

Expected decisions come from the uploaded file's own ``expected`` block for the rule set it names
(nordvale-g2g-approve: every criterion low -> approve under all three rule sets).
Line:col positions are counted in the test texts themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from riskcheck.app import catalog, forms, upload
from riskcheck.app.upload import MAX_BYTES, MAX_UPLOAD_MB, MIB, read_upload
from riskcheck.paths import rules_dir, scenarios_dir

from .conftest import SCENARIOS, decision, sidebar_codes, texts, upload_scenario

NORDVALE = SCENARIOS / "nordvale-g2g-approve.yaml"
PROFILE_LINE = "  profile: profiles/nordvale.yaml"


def nordvale_text() -> str:
    return NORDVALE.read_text(encoding="utf-8")


def expected_decision(text: str) -> str:
    """What the file itself says it should give under the rule set it names."""
    data = yaml.safe_load(text)
    return str(data["expected"][data["rules"]]["decision"])


def line_col(text: str, needle: str) -> str:
    """``line:col`` (1-based) of the first occurrence of ``needle`` in ``text``."""
    i = text.index(needle)
    return f"{text.count(chr(10), 0, i) + 1}:{i - (text.rfind(chr(10), 0, i) + 1) + 1}"


def with_profile(path: str) -> str:
    text = nordvale_text()
    assert PROFILE_LINE in text
    return text.replace(PROFILE_LINE, f"  profile: {path}")


def refused(name: str, raw: bytes, root: Path | None = None) -> str:
    result = read_upload(name, raw, root)
    assert not result.ok and result.data is None
    assert result.errors
    return "\n".join(result.errors)


# --- the plain function: what is loaded -----------------------------------------------------------


def test_a_valid_file_gives_the_same_form_document_as_the_bundled_copy():
    result = read_upload("nordvale-g2g-approve.yaml", NORDVALE.read_bytes())
    assert result.ok and result.errors == ()
    assert result.data == catalog.scenario_data(NORDVALE)
    assert "expected" not in result.data  # expectations belong to tests, not to the case
    built = forms.build(result.data)
    assert built.ok
    profile = Path(built.scenario.profile_doc.path).resolve()
    assert profile.is_relative_to(scenarios_dir().resolve())


@pytest.mark.parametrize("path", sorted(catalog.bundled_scenarios()), ids=lambda p: Path(p).name)
def test_every_bundled_scenario_uploads_as_it_opens(path):
    result = read_upload(Path(path).name, Path(path).read_bytes())
    assert result.errors == ()
    assert result.data == catalog.scenario_data(path)


def test_a_file_exactly_at_the_limit_is_read():
    raw = NORDVALE.read_bytes()
    padded = raw + b"#" * (MAX_BYTES - len(raw) - 1) + b"\n"
    assert len(padded) == MAX_BYTES
    assert read_upload("padded.yaml", padded).ok


def test_the_upload_limit_is_the_yaml_readers_limit_and_the_widgets_megabytes_cover_it():
    from riskcheck import yamlfile

    assert upload.MAX_BYTES == yamlfile.MAX_BYTES
    assert MAX_UPLOAD_MB >= 1  # Streamlit refuses 0
    assert MAX_UPLOAD_MB * MIB >= MAX_BYTES > (MAX_UPLOAD_MB - 1) * MIB


# --- the plain function: what is refused, located -------------------------------------------------


def test_an_oversized_file_is_refused_before_it_is_read(monkeypatch):
    def no_parsing(*a, **kw):
        raise AssertionError("an oversized upload must not be parsed")

    monkeypatch.setattr(upload, "parse_text", no_parsing)
    msg = refused("big.yaml", b"#" * (MAX_BYTES + 1))
    assert msg.startswith("big.yaml: error RC105: the file is ")
    assert f"({MAX_BYTES + 1:,} bytes); the limit is 1 MiB" in msg


def test_bytes_that_are_not_utf8_are_located():
    raw = b"id: x\ntitle: caf\xe9\n"  # the bad byte is the 11th of line 2
    assert refused("latin1.yaml", raw) == "latin1.yaml:2:11: error RC106: not valid UTF-8 text"


def test_aliases_and_anchors_are_refused_where_they_are():
    text = "id: x\ntitle: &t Rifles\nbriefing: *t\n"
    assert refused("alias.yaml", text.encode()).startswith(f"alias.yaml:{line_col(text, '&t')}: error RC103")


def test_a_python_tag_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    text = f'id: x\ntitle: !!python/object/apply:os.system ["touch {marker}"]\n'
    msg = refused("tag.yaml", text.encode())
    assert msg.startswith(f"tag.yaml:{line_col(text, '!!python')}: error RC104")
    assert not marker.exists()


def test_deep_nesting_is_refused_at_the_first_level_too_deep():
    from riskcheck.yamlfile import MAX_DEPTH

    text = "a: " + "[" * (MAX_DEPTH + 10) + "]" * (MAX_DEPTH + 10) + "\n"
    # The top mapping is level 1, so the MAX_DEPTH-th '[' opens level MAX_DEPTH + 1.
    col = len("a: ") + MAX_DEPTH
    assert refused("deep.yaml", text.encode()).startswith(f"deep.yaml:1:{col}: error RC105")


def test_a_duplicate_key_is_located_at_the_second_one():
    text = nordvale_text().replace("rules: baseline\n", "rules: baseline\ntitle: Another title\n")
    msg = refused("dup.yaml", text.encode())
    assert msg.startswith(f"dup.yaml:{line_col(text, 'title: Another')}: error RC102: duplicate key 'title'")
    assert f"(first defined on line {line_col(text, 'title:').split(':')[0]})" in msg


@pytest.mark.parametrize(
    ("before", "after", "needle", "expected"),
    [
        ("title:", "titel:", "titel:", "error RC201: unknown key 'titel' (did you mean 'title'?)"),
        ("channel: g2g_with_eum", "channel: by_sea", "by_sea", "error RC203: transfer.channel: 'by_sea'"),
    ],
    ids=["unknown key", "wrong value"],
)
def test_schema_errors_are_located_in_the_uploaded_file(before, after, needle, expected):
    text = nordvale_text().replace(before, after, 1)
    line = line_col(text, needle).split(":")[0]
    lines = refused("schema.yaml", text.encode()).splitlines()
    assert any(m.startswith(f"schema.yaml:{line}:") and expected in m for m in lines), lines


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(b"", "the file is empty"), (b"- a list\n- not a scenario\n", "expected a YAML mapping")],
    ids=["empty", "not a mapping"],
)
def test_a_file_that_is_not_a_scenario_mapping_is_refused(raw, expected):
    msg = refused("odd.yaml", raw)
    assert msg.startswith("odd.yaml:1:1: error RC107") and expected in msg


def test_a_rule_set_that_is_not_installed_is_refused_at_the_rules_key():
    text = nordvale_text().replace("rules: baseline", "rules: no-such-rules", 1)
    msg = refused("rules.yaml", text.encode())
    assert msg.startswith(f"rules.yaml:{line_col(text, 'no-such-rules')}: error RC106")
    assert "'no-such-rules' is not installed" in msg and "baseline" in msg


# --- profiles: from the bundled folder only -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../scenarios/profiles/nordvale.yaml", "'..' is not allowed"),  # the real profile, by a detour
        ("profiles/../../rules/baseline.yaml", "'..' is not allowed"),
        ("'..\\scenarios\\profiles\\nordvale.yaml'", "'..' is not allowed"),
        ("/etc/passwd", "an absolute path is not allowed"),
        (f"{scenarios_dir().resolve() / 'profiles' / 'nordvale.yaml'}", "an absolute path is not allowed"),
        ("'C:\\Windows\\win.ini'", "an absolute path is not allowed"),
        ("'//server/share/profile.yaml'", "an absolute path is not allowed"),
        ('"profiles/nordvale\\0.yaml"', "control characters are not allowed"),
    ],
)
def test_a_profile_path_that_leaves_the_bundled_folder_is_refused_where_it_is_written(path, why):
    text = with_profile(path)
    msg = refused("profile.yaml", text.encode())
    assert msg.startswith(f"profile.yaml:{line_col(text, path)}: error RC401: profile ")
    assert why in msg
    assert "\n" not in msg  # one refusal, before the loader opened anything


def test_a_profile_link_out_of_the_scenarios_folder_is_refused(tmp_path):
    root = tmp_path / "scenarios"
    (root / "profiles").mkdir(parents=True)
    outside = tmp_path / "elsewhere.yaml"
    outside.write_bytes((scenarios_dir() / "profiles" / "nordvale.yaml").read_bytes())
    (root / "profiles" / "nordvale.yaml").symlink_to(outside)
    text = with_profile("profiles/nordvale.yaml")
    msg = refused("link.yaml", text.encode(), root=root)
    assert "error RC401" in msg and "leads out of the bundled scenarios folder" in msg


def test_a_profile_missing_from_the_bundled_folder_is_the_loaders_located_error():
    text = with_profile("profiles/nowhere.yaml")
    msg = refused("missing.yaml", text.encode())
    assert (
        msg
        == f"missing.yaml:{line_col(text, 'profiles/nowhere')}: error RC401: profile 'profiles/nowhere.yaml': file not found"
    )


# --- names, and nothing written -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("nordvale.yaml", "nordvale.yaml"),
        ("../../etc/nordvale.yaml", "nordvale.yaml"),
        ("C:\\Users\\officer\\nordvale.yaml", "nordvale.yaml"),
        ("evil\nname.yaml", "evil\\nname.yaml"),
        ("", "uploaded.yaml"),
    ],
)
def test_only_the_base_name_is_shown_and_on_one_line(sent, shown):
    assert upload.display_name(sent) == shown


def _snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for f in folders for p in [f, *f.rglob("*")]}


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    import builtins

    monkeypatch.chdir(tmp_path)
    real_open = builtins.open

    def read_only_open(file, mode="r", *args, **kwargs):
        assert not set(str(mode)) & set("wax+"), f"upload opened {file} for writing"
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only_open)
    before = _snapshot(tmp_path, scenarios_dir(), rules_dir())
    assert read_upload("nordvale.yaml", NORDVALE.read_bytes()).ok
    assert not read_upload("bad.yaml", with_profile("../x.yaml").encode()).ok
    assert _snapshot(tmp_path, scenarios_dir(), rules_dir()) == before
    assert os.listdir(tmp_path) == []


# --- through the page (AppTest) -------------------------------------------------------------------


def test_the_uploader_offers_yaml_files_within_the_limit(app):
    app.radio(key="start.kind").set_value("A scenario file (YAML)").run()
    uploader = app.file_uploader(key="start.upload")
    assert sorted(uploader.allowed_type) == [".yaml", ".yml"]
    assert uploader.proto.max_upload_size_mb == MAX_UPLOAD_MB


def test_an_uploaded_scenario_is_assessed_as_its_expected_block_says(app):
    text = nordvale_text()
    upload_scenario(app, "nordvale-g2g-approve.yaml", text.encode())
    assert decision(app) == expected_decision(text) == "approve"
    assert app.session_state["rc.origin"] == "uploaded file nordvale-g2g-approve.yaml"
    assert "Working on uploaded file nordvale-g2g-approve.yaml" in texts(app).replace("\\", "")
    assert sidebar_codes(app) == ""


def test_the_uploaded_files_rule_set_is_the_one_used(app):
    text = nordvale_text().replace("rules: baseline", "rules: eu-common-position", 1)
    upload_scenario(app, "nordvale-eu.yaml", text.encode())
    assert Path(app.session_state["rc.rules"]).name == "eu-common-position.yaml"
    assert decision(app) == expected_decision(text)


@pytest.mark.parametrize(
    ("name", "content", "located"),
    [
        (
            "dup.yaml",
            nordvale_text().replace("rules: baseline\n", "rules: baseline\ntitle: Again\n"),
            "dup.yaml:{title: Again}: error RC102",
        ),
        ("detour.yaml", with_profile("../../../etc/hostname"), "detour.yaml:{../../}: error RC401"),
        ("big.yaml", "#" * (MAX_BYTES + 1), "big.yaml: error RC105: the file is "),
        ("latin1.yaml", "title: caf\udce9\n", "latin1.yaml:1:11: error RC106: not valid UTF-8"),
    ],
    ids=["duplicate key", "profile path", "oversized", "not utf-8"],
)
def test_a_refused_upload_is_explained_by_line_and_keeps_the_case(app, name, content, located):
    case, version, shown = app.session_state["rc.case"], app.session_state["rc.version"], decision(app)
    raw = content.encode("utf-8", "surrogateescape")  # \udce9 becomes the lone byte 0xE9
    upload_scenario(app, name, raw)
    if "{" in located:  # {needle} stands for the needle's line:col in the content
        needle = located[located.index("{") + 1 : located.index("}")]
        located = located.replace(f"{{{needle}}}", line_col(content, needle))
    assert located in sidebar_codes(app)
    assert "Not loaded: the case on the form is unchanged." in texts(app)
    assert app.session_state["rc.case"] == case and app.session_state["rc.version"] == version
    assert decision(app) == shown
    assert "Working on uploaded file" not in texts(app).replace("\\", "")


def test_a_valid_file_after_a_refused_one_loads_and_clears_the_messages(app):
    upload_scenario(app, "broken.yaml", b"id: [\n")
    assert "broken.yaml:" in sidebar_codes(app)
    app.file_uploader(key="start.upload").set_value(
        ("nordvale-g2g-approve.yaml", NORDVALE.read_bytes(), "application/x-yaml")
    ).run()
    assert sidebar_codes(app) == ""  # the messages were about the file just replaced
    app.button(key="start.open").click().run()
    assert decision(app) == expected_decision(nordvale_text())
    assert sidebar_codes(app) == ""


def test_loading_with_no_file_chosen_says_so_and_keeps_the_case(app):
    case = app.session_state["rc.case"]
    app.radio(key="start.kind").set_value("A scenario file (YAML)").run()
    app.button(key="start.open").click().run()
    assert not app.exception
    assert "Choose a scenario file first." in sidebar_codes(app)
    assert app.session_state["rc.case"] == case
