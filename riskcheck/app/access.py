"""Who may do what in the app: the deployment's settings and every decision drawn from them.

Pure (no Streamlit): ``auth_ui`` reads the environment, ``st.secrets``, ``st.user`` and the
request headers and hands them to these functions, so each rule is unit-tested here.

Settings (an environment variable wins over the ``[riskcheck]`` table of ``secrets.toml``)::

    RISKCHECK_READ_ONLY=1              read_only = true         no rule editing; the History page
                                                                shows only the session's own work
    RISKCHECK_AUTH=none|oidc|proxy     auth = "oidc"            who the user is (below)
    RISKCHECK_REVIEWERS=a@x.org,b      reviewers = ["a@x.org"]  who may save rule edits
    RISKCHECK_PROXY_HEADER=X-Remote-User  proxy_header = "..."  the header a proxy sets (X-Forwarded-User)
    RISKCHECK_OIDC_PROVIDER=name       oidc_provider = "name"   a named ``[auth.name]`` provider

``auth``:

- ``none`` (default): one person on their own computer. The account running the app may edit
  rules, but only while the app is reached on this computer (loopback); nobody is asked to sign in.
- ``oidc``: Streamlit's built-in OpenID Connect login (``st.login``; ``[auth]`` in secrets.toml).
  Every page needs a signed-in user; the user is their e-mail (else ``preferred_username``, ``sub``).
- ``proxy``: a reverse proxy authenticates and sets a header; its value is the user. The header is
  trusted only in this mode (and the app must then be reachable only through the proxy).

Every decision carries its reason, shown to the user. Settings that cannot be understood fail
closed: the app becomes read-only and says why.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_READ_ONLY = "RISKCHECK_READ_ONLY"
ENV_AUTH = "RISKCHECK_AUTH"
ENV_REVIEWERS = "RISKCHECK_REVIEWERS"
ENV_PROXY_HEADER = "RISKCHECK_PROXY_HEADER"
ENV_OIDC_PROVIDER = "RISKCHECK_OIDC_PROVIDER"
SECRETS_SECTION = "riskcheck"
AUTH_MODES = ("none", "oidc", "proxy")
DEFAULT_PROXY_HEADER = "X-Forwarded-User"
MAX_USER_CHARS = 200
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    read_only: bool = False
    auth: str = "none"
    reviewers: frozenset[str] = frozenset()  # lower-cased
    proxy_header: str = DEFAULT_PROXY_HEADER
    oidc_provider: str | None = None
    problems: tuple[str, ...] = ()  # settings that could not be understood (the app is then read-only)


@dataclass(frozen=True)
class Identity:
    user: str | None  # None: nobody is signed in
    via: str  # how the user was identified, in words

    @property
    def known(self) -> bool:
        return self.user is not None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class _Raw:
    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)


def _merge(env: Mapping[str, str], secrets: Mapping[str, Any] | None) -> _Raw:
    raw = _Raw()
    section = (secrets or {}).get(SECRETS_SECTION) or {}
    if isinstance(section, Mapping):
        for key in ("read_only", "auth", "reviewers", "proxy_header", "oidc_provider"):
            if key in section:
                raw.values[key] = section[key]
                raw.origin[key] = f"secrets.toml [{SECRETS_SECTION}] {key}"
    for key, name in (
        ("read_only", ENV_READ_ONLY),
        ("auth", ENV_AUTH),
        ("reviewers", ENV_REVIEWERS),
        ("proxy_header", ENV_PROXY_HEADER),
        ("oidc_provider", ENV_OIDC_PROVIDER),
    ):
        if env.get(name) is not None:
            raw.values[key] = env[name]
            raw.origin[key] = name
    return raw


def _names(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [x.strip() for x in value.replace(";", ",").split(",") if x.strip()]
    if isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        items = list(value)
        if all(isinstance(x, str) for x in items):
            return [x.strip() for x in items if x.strip()]
    return None


def load_settings(env: Mapping[str, str], secrets: Mapping[str, Any] | None = None) -> Settings:
    """The deployment's settings from the environment and the secrets' ``[riskcheck]`` table."""
    raw = _merge(env, secrets)
    problems: list[str] = []
    read_only = False
    value = raw.values.get("read_only", False)
    if isinstance(value, bool):
        read_only = value
    elif str(value).strip().lower() in _TRUE:
        read_only = True
    elif str(value).strip().lower() not in _FALSE:
        problems.append(f"{raw.origin['read_only']}: {value!r} is not true or false")
    auth = str(raw.values.get("auth", "none")).strip().lower() or "none"
    if auth not in AUTH_MODES:
        problems.append(f"{raw.origin['auth']}: {auth!r} is not one of {', '.join(AUTH_MODES)}")
        auth = "none"
    reviewers: frozenset[str] = frozenset()
    if "reviewers" in raw.values:
        names = _names(raw.values["reviewers"])
        if names is None:
            problems.append(f"{raw.origin['reviewers']}: expected a list of names or e-mail addresses")
        else:
            reviewers = frozenset(n.lower() for n in names)
    header = str(raw.values.get("proxy_header", DEFAULT_PROXY_HEADER)).strip()
    if not header or not all(c.isalnum() or c == "-" for c in header):
        problems.append(f"{raw.origin.get('proxy_header', 'proxy_header')}: {header!r} is not a header name")
        header = DEFAULT_PROXY_HEADER
    provider = raw.values.get("oidc_provider")
    provider = str(provider).strip() or None if provider is not None else None
    return Settings(
        read_only=read_only or bool(problems),
        auth=auth,
        reviewers=reviewers,
        proxy_header=header,
        oidc_provider=provider,
        problems=tuple(problems),
    )


def clean_user(value: Any) -> str | None:
    """A user name as a header or a token gave it, or None when it is empty or not plausible."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_USER_CHARS or not value.isprintable():
        return None
    return value


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A request header by name, case-insensitively."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def identify(
    settings: Settings,
    *,
    oidc_user: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    local_user: str = "local user",
) -> Identity:
    """Who is using this session. A proxy header counts only when ``auth`` is ``proxy``."""
    if settings.auth == "oidc":
        info = oidc_user or {}
        if not info.get("is_logged_in"):
            return Identity(None, "OpenID Connect sign-in")
        for claim in ("email", "preferred_username", "sub"):
            user = clean_user(info.get(claim))
            if user:
                return Identity(user, "OpenID Connect sign-in")
        return Identity(None, "OpenID Connect sign-in (the token names no user)")
    if settings.auth == "proxy":
        via = f"reverse-proxy header {settings.proxy_header}"
        return Identity(clean_user(header(headers, settings.proxy_header)), via)
    return Identity(local_user, "this computer (no sign-in)")


def is_local(server_address: str | None, client_ip: str | None) -> bool:
    """Whether the app is reached on this computer only: the server listens on loopback, or (when it
    listens everywhere, as plain ``streamlit run`` does) the client connects from loopback."""

    def loopback(addr: str) -> bool:
        if addr.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(addr.strip("[]")).is_loopback
        except ValueError:
            return False

    if server_address:
        return loopback(server_address)
    return client_ip is None or loopback(client_ip)


def can_use_app(settings: Settings, who: Identity) -> Decision:
    if settings.auth == "none":
        return Decision(True, "no sign-in is configured")
    if who.known:
        return Decision(True, f"{who.user}, identified by {who.via}")
    if settings.auth == "oidc":
        return Decision(False, "Sign in to use riskcheck.")
    return Decision(
        False, f"No user was named by the {settings.proxy_header} header: open riskcheck through its proxy."
    )


def can_edit_rules(settings: Settings, who: Identity, *, local: bool) -> Decision:
    """May this user save rule files? (Anyone may draft and preview an edit unless read-only.)"""
    if settings.problems:
        return Decision(False, "Rule editing is off: " + "; ".join(settings.problems) + ".")
    if settings.read_only:
        return Decision(
            False, f"This deployment is read-only ({ENV_READ_ONLY}): rules cannot be changed here."
        )
    if not who.known:
        return Decision(False, "Sign in to edit rules.")
    assert who.user is not None
    if settings.auth == "none":
        if not local:
            return Decision(
                False,
                "The app is reached over the network without sign-in: set "
                f"{ENV_AUTH}=oidc or proxy and name the reviewers ({ENV_REVIEWERS}) to allow rule edits.",
            )
        if settings.reviewers and who.user.lower() not in settings.reviewers:
            return Decision(False, f"{who.user} is not one of the reviewers named in {ENV_REVIEWERS}.")
        return Decision(True, f"{who.user} runs the app on this computer")
    if not settings.reviewers:
        return Decision(False, f"No reviewers are named ({ENV_REVIEWERS}): nobody may change rules here.")
    if who.user.lower() not in settings.reviewers:
        return Decision(False, f"{who.user} is not a named reviewer: you can try an edit, not save it.")
    return Decision(True, f"{who.user} is a named reviewer ({who.via})")


def can_see_all_history(settings: Settings) -> Decision:
    """May a session list assessments other sessions made (other users' cases and exercises)?"""
    if settings.read_only:
        return Decision(
            False, "This deployment is read-only: only the assessments of this session are shown."
        )
    return Decision(True, "every recorded assessment is listed")
