"""The maps' base layer is configured from the environment; the CSP lets in exactly its tiles."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config.env import ConfigError, tile_source
from tests.conftest import ROOT

TEMPLATE = "https://{s}.tile.example.org/{z}/{x}/{y}.png"


def csp_with(**env: str) -> subprocess.CompletedProcess:
    code = "import django; django.setup(); from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY)"
    base = {k: v for k, v in os.environ.items() if not k.startswith("MAP_TILE_")}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def img_src(policy: str) -> list[str]:
    directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("img-src"))
    return directive.split()[1:]


def test_a_tile_template_gives_its_scheme_and_host_with_a_wildcard_for_subdomains():
    assert tile_source(TEMPLATE) == "https://*.tile.example.org"
    assert tile_source("https://tiles.example.org:8443/v1/{z}/{x}/{y}.png?key=k") == "https://tiles.example.org:8443"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//{z}/{x}/{y}",
        "https://tiles.example.org/static.png",
        "https://{s}{r}.example.org/{z}/{x}/{y}.png",
        "https://user@tiles.example.org/{z}/{x}/{y}.png",
        "//tiles.example.org/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_template_that_is_not_a_plain_http_url_is_refused(url):
    with pytest.raises(ConfigError):
        tile_source(url)


def test_without_a_tile_server_images_come_only_from_the_site():
    proc = csp_with()
    assert proc.returncode == 0, proc.stderr
    assert img_src(proc.stdout) == ["'self'", "data:"]


def test_a_tile_server_joins_img_src_and_nothing_else():
    proc = csp_with(MAP_TILE_URL=TEMPLATE, MAP_TILE_ATTRIBUTION="© Example contributors")
    assert proc.returncode == 0, proc.stderr
    assert img_src(proc.stdout) == ["'self'", "data:", "https://*.tile.example.org"]
    assert proc.stdout.count("tile.example.org") == 1  # not in script-src, connect-src...


def test_a_tile_server_without_its_credit_stops_start_up():
    proc = csp_with(MAP_TILE_URL=TEMPLATE)
    assert proc.returncode != 0
    assert "MAP_TILE_ATTRIBUTION" in proc.stderr
