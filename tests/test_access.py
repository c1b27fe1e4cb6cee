"""Who may do what: settings, identities and the decisions drawn from them (riskcheck.app.access)."""

from __future__ import annotations

import pytest

from riskcheck.app.access import (
    Identity,
    Settings,
    can_edit_rules,
    can_see_all_history,
    can_use_app,
    identify,
    is_local,
    load_settings,
)

ALICE = Identity("alice@example.org", "OpenID Connect sign-in")


# --- settings ----------------------------------------------------------------------------------


def test_defaults_are_a_local_single_user_app():
    s = load_settings({})
    assert s == Settings()
    assert not s.read_only and s.auth == "none" and not s.reviewers and not s.problems


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_read_only_from_the_environment(value):
    assert load_settings({"RISKCHECK_READ_ONLY": value}).read_only


@pytest.mark.parametrize("value", ["0", "false", "", "off"])
def test_read_only_off(value):
    assert not load_settings({"RISKCHECK_READ_ONLY": value}).read_only


def test_settings_from_secrets_and_the_environment_wins():
    secrets = {
        "riskcheck": {
            "auth": "oidc",
            "reviewers": ["Alice@Example.org", "bob@example.org"],
            "read_only": False,
            "oidc_provider": "keycloak",
        }
    }
    s = load_settings({}, secrets)
    assert s.auth == "oidc" and s.reviewers == {"alice@example.org", "bob@example.org"}
    assert s.oidc_provider == "keycloak"
    s = load_settings({"RISKCHECK_REVIEWERS": "carol; dave", "RISKCHECK_READ_ONLY": "1"}, secrets)
    assert s.reviewers == {"carol", "dave"} and s.read_only and s.auth == "oidc"


@pytest.mark.parametrize(
    ("env", "secrets", "words"),
    [
        ({"RISKCHECK_AUTH": "ldap"}, None, "RISKCHECK_AUTH: 'ldap' is not one of none, oidc, proxy"),
        ({"RISKCHECK_READ_ONLY": "maybe"}, None, "RISKCHECK_READ_ONLY: 'maybe' is not true or false"),
        ({}, {"riskcheck": {"reviewers": {"a": 1}}}, "reviewers: expected a list"),
        ({"RISKCHECK_PROXY_HEADER": "X User: admin"}, None, "is not a header name"),
    ],
)
def test_settings_that_cannot_be_understood_fail_closed(env, secrets, words):
    s = load_settings(env, secrets)
    assert s.read_only
    assert any(words in p for p in s.problems), s.problems
    d = can_edit_rules(s, ALICE, local=True)
    assert not d and words in d.reason


# --- identities --------------------------------------------------------------------------------


def test_no_sign_in_means_the_account_running_the_app():
    who = identify(Settings(), local_user="maria", headers={"X-Forwarded-User": "admin"})
    assert who == Identity("maria", "this computer (no sign-in)")  # the header is not trusted


def test_oidc_user_is_their_email_and_needs_to_be_signed_in():
    s = Settings(auth="oidc")
    assert (
        identify(s, oidc_user={"is_logged_in": True, "email": "alice@example.org"}).user
        == "alice@example.org"
    )
    assert identify(s, oidc_user={"is_logged_in": True, "sub": "u-1"}).user == "u-1"
    assert identify(s, oidc_user={"email": "alice@example.org"}).user is None  # not logged in
    assert identify(s, oidc_user=None).user is None
    assert identify(s, oidc_user={"is_logged_in": True}).user is None
    # a header never stands in for a sign-in
    assert identify(s, oidc_user={"is_logged_in": False}, headers={"X-Forwarded-User": "alice"}).user is None


def test_proxy_header_is_read_case_insensitively_and_only_in_proxy_mode():
    s = Settings(auth="proxy")
    assert identify(s, headers={"x-forwarded-user": " bob "}).user == "bob"
    assert identify(s, headers={}).user is None
    assert identify(s, headers={"X-Forwarded-User": "bob\nadmin"}).user is None  # not printable
    assert identify(s, headers={"X-Forwarded-User": "x" * 500}).user is None
    custom = Settings(auth="proxy", proxy_header="X-Remote-User")
    assert identify(custom, headers={"X-Forwarded-User": "bob"}).user is None
    assert identify(custom, headers={"X-Remote-User": "carol"}).via == "reverse-proxy header X-Remote-User"


@pytest.mark.parametrize(
    ("server", "client", "local"),
    [
        ("127.0.0.1", None, True),
        ("localhost", "10.0.0.5", True),
        ("::1", None, True),
        ("0.0.0.0", None, False),
        ("192.168.1.4", "127.0.0.1", False),
        (None, None, True),  # plain `streamlit run`, opened on this computer
        (None, "127.0.0.1", True),
        (None, "10.1.2.3", False),
    ],
)
def test_is_local(server, client, local):
    assert is_local(server, client) is local


# --- decisions ---------------------------------------------------------------------------------


def test_read_only_blocks_editing_whoever_asks():
    s = Settings(read_only=True, auth="oidc", reviewers=frozenset({"alice@example.org"}))
    d = can_edit_rules(s, ALICE, local=True)
    assert not d and "read-only" in d.reason
    assert not can_see_all_history(s)
    assert can_see_all_history(Settings())


def test_named_reviewers_only():
    s = Settings(auth="oidc", reviewers=frozenset({"alice@example.org"}))
    assert can_edit_rules(s, Identity("ALICE@example.org", "oidc"), local=False)
    d = can_edit_rules(s, Identity("mallory@example.org", "oidc"), local=False)
    assert not d and "not a named reviewer" in d.reason
    assert not can_edit_rules(s, Identity(None, "oidc"), local=True)


def test_a_shared_deployment_without_named_reviewers_lets_nobody_edit():
    d = can_edit_rules(Settings(auth="proxy"), Identity("bob", "proxy"), local=False)
    assert not d and "No reviewers are named" in d.reason


def test_without_sign_in_only_this_computer_may_edit():
    s = Settings()
    assert can_edit_rules(s, Identity("maria", "local"), local=True)
    d = can_edit_rules(s, Identity("maria", "local"), local=False)
    assert not d and "without sign-in" in d.reason
    named = Settings(reviewers=frozenset({"maria"}))
    assert can_edit_rules(named, Identity("maria", "local"), local=True)
    assert not can_edit_rules(named, Identity("guest", "local"), local=True)


def test_using_the_app_needs_an_identity_when_sign_in_is_configured():
    assert can_use_app(Settings(), Identity("maria", "local"))
    assert not can_use_app(Settings(auth="oidc"), Identity(None, "oidc"))
    d = can_use_app(Settings(auth="proxy"), Identity(None, "proxy"))
    assert not d and "X-Forwarded-User" in d.reason
    assert can_use_app(Settings(auth="proxy"), Identity("bob", "proxy"))
