"""Typed readers for environment variables that fail loudly on bad values."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit


class ConfigError(Exception):
    """A setting read from the environment has a bad value."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")) or (minimum is not None and value < minimum):
        raise ConfigError(f"{name}={raw!r} must be a finite number of at least {minimum:g}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_database_url(url: str, variable: str = "DATABASE_URL") -> dict:
    """Django DATABASES entry for a `postgres://user:pass@host:port/db?opt=v` URL.

    A `host` query parameter (or a percent-encoded path as the host) names a
    Unix-socket directory. Anything but PostgreSQL is refused; errors name `variable`.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ConfigError(
            f"{variable} must start with postgres:// (got scheme {parts.scheme!r}); "
            "the catalogue runs on PostgreSQL only"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ConfigError(f"{variable} has no database name (postgres://user:pass@host:5432/NAME)")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{variable} has a bad port: {parts.netloc!r}") from None
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    # urlsplit lower-cases .hostname; a percent-encoded socket path must keep its case.
    netloc_host = parts.netloc.rpartition("@")[2]
    if netloc_host.startswith("["):
        netloc_host = netloc_host[1 : netloc_host.index("]")]
    elif ":" in netloc_host:
        netloc_host = netloc_host.rsplit(":", 1)[0]
    host = options.pop("host", None) or unquote(netloc_host)
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
    }
    if options:
        config["OPTIONS"] = options
    return config


def local_database_url(base_dir: Path) -> str:
    """The project's own cluster (scripts/db.sh): a socket under .pgdata/run."""
    return f"postgres://postgres@/catalogue?host={base_dir / '.pgdata' / 'run'}"


def database_url(config: dict) -> str:
    """Inverse of `parse_database_url` for a DATABASES entry (a child process started
    by the app must reach exactly the database the app uses)."""
    user = quote(config.get("USER") or "", safe="")
    password = quote(config.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = config.get("HOST") or ""
    query = {"host": host} if host.startswith("/") else {}
    netloc = "" if host.startswith("/") else host + (f":{config['PORT']}" if config.get("PORT") else "")
    return f"postgres://{credentials}{netloc}/{quote(config['NAME'], safe='')}" + (
        f"?{urlencode(query)}" if query else ""
    )


def parse_cache_url(url: str, variable: str = "CACHE_URL") -> str:
    """The Redis location for Django's backend, or a ConfigError naming the variable."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"{variable} must be a redis://host:6379/0, rediss://… or unix:///path/redis.sock?db=0 URL "
            f"(got scheme {parts.scheme!r}); leave it empty for the per-process cache"
        )
    if parts.scheme == "unix" and not parts.path:
        raise ConfigError(f"{variable} names no socket path: unix:///path/to/redis.sock")
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(f"{variable} names no host: {parts.scheme}://host:6379/0")
    return url


def tile_source(url: str, variable: str = "MAP_TILE_URL") -> str:
    """The Content-Security-Policy source (scheme and host) that lets the map load the
    tiles of a Leaflet tile URL template such as `https://{s}.tile.example.org/{z}/{x}/{y}.png`.

    A `{s}` subdomain becomes a `*.` wildcard; a template that is not http(s), lacks
    {z}/{x}/{y} or puts a placeholder anywhere else in the host is refused.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(f"{variable}={url!r} must be an http(s) URL template")
    if not all(token in url for token in ("{z}", "{x}", "{y}")):
        raise ConfigError(f"{variable}={url!r} must contain {{z}}, {{x}} and {{y}}")
    host = parts.netloc
    if host.startswith("{s}."):
        host = "*." + host[4:]
    if "{" in host or "}" in host or "@" in host or not host.strip("*."):
        raise ConfigError(f"{variable}={url!r}: only a leading {{s}} subdomain may vary in the host")
    return f"{parts.scheme}://{host}"
