"""What a web worker does as it loads (config/startup.py), run in a process of its own:
freezing a heap is for the life of the process."""

from __future__ import annotations

import subprocess
import sys

from tests.config.test_settings import ROOT, _base_env

SETTLE = """
import gc, django
django.setup()
from catalogue import places
from config.startup import settle
before = places.gazetteer_loaded(), gc.get_freeze_count()
settle()
print(before, places.gazetteer_loaded(), gc.get_freeze_count() > 100000)
"""


def test_settling_a_worker_reads_the_gazetteer_and_freezes_its_heap() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SETTLE], cwd=ROOT, env={**_base_env(), "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["(False,", "0)", "True", "True"]
