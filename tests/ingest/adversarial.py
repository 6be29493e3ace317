"""Hypothesis strategies for the input shapes that used to make a regex backtrack.

Every normalizer and parser must take time linear in its input. The shapes
that broke that were long runs of one thing where a pattern could read the run
in many ways: whitespace between optional parts, digit runs, long words after a
dose, repeated ligatures or tokens, a CD number followed by dozens of digits.
These strategies generate such runs (thousands of characters long) alone or
inside realistic text, so a regression shows up as a test that never finishes.
"""

from __future__ import annotations

from hypothesis import strategies as st

# One unit of a long run. Each has broken (or could break) some pattern when
# repeated: see the module docstring.
RUN_UNITS: list[str] = [
    " ", "  \n", "\t", "\n", "\r\n", "\xa0", "\xa0 ", "\u3000", "ﬁ", "ﬁ ", "1", "12", "0", "１", "𝟙", "⁶", "\x00",
    "\u200f", "\u202e", "\ufeff", "1 ", "1,", "1.", "1-", "1/", "1 x ", "1e6 ", "10^", "x10^6 ", "×10⁶", "a", "aa-",
    "+", "(", "-", "- ", "/", ",", ";", ":", "|", "*", ".", "\\", "\\^", "and ", "or ", "cd19", "cd19 ", "cd19/",
    "CD19 car-t ", ".CD19", "19-", "car ", "CAR-T ", "cart", "anti-", "prior ", "negative ", "targeting ", "cells ",
    "per ", "/kg", "kg-1", "cellsper", "between ", "NCT0000000", "0NCT000000", "1E6/kgBW", "Registration number:",
    "Ages Eligible for Study:", "Inclusion Criteria:", "PHASE 1 ", "II/", "1,期", "岁", "以上", "18 years ",
    "2020-01-01 ", "jan ", "China, ", "allogeneic ", "autologous ", "donor ", "T cells of ", "lymphoma ", "&amp;",
    "&#0;", "<", "]]>", "{", '"',
]  # fmt: skip
# Short pieces of registry prose that the runs are mixed into.
REAL_PIECES: list[str] = [
    "Patients will receive 1×10^6 CAR-T cells/kg. ", "CD19-targeted CAR T cells ", "Anti-BCMA CAR-T ",
    "2-5 × 10⁶/kg ", "relapsed/refractory B-cell lymphoma ", "18 Years to 75 Years ", "Phase 1/Phase 2 ",
    "From 2025-10-31 To 2028-10-31 ", "autologous T cells ", "donor-derived ", "Shenzhen, Guangdong, China ",
    "剂量为1×10^6个CAR-T细胞/kg ", "最小 18 岁 ", "(20% of the total dose) ", "prior anti-CD19 therapy ", "CD19/CD22 dual ",
    "such as CD20 ", "I/II期 ", "\xa0\xa0\xa0 ",
]  # fmt: skip


def run_of(unit: str, size: int) -> str:
    """`unit` repeated to exactly `size` characters."""
    return (unit * (size // len(unit) + 1))[:size]


def adversarial_runs(min_size: int = 2_000, max_size: int = 40_000) -> st.SearchStrategy[str]:
    """One long run of a `RUN_UNITS` unit, sometimes with a digit or word on either side."""
    return st.builds(
        lambda unit, size, before, after: before + run_of(unit, size) + after,
        st.sampled_from(RUN_UNITS),
        st.integers(min_value=min_size, max_value=max_size),
        st.sampled_from(["", "1", "CD19 ", "1x10^6 ", "dose 2", "PHASE 1", "18 ", "from "]),
        st.sampled_from(["", "x", " cells/kg", "/m2", " CAR-T cells", " years", "期", " negative", "!"]),
    )


def adversarial_text(max_size: int = 40_000) -> st.SearchStrategy[str]:
    """Registry-like text with up to three long runs mixed in."""
    piece = st.one_of(st.sampled_from(REAL_PIECES), st.sampled_from(RUN_UNITS), adversarial_runs(200, max_size // 3))
    return st.lists(piece, min_size=1, max_size=8).map("".join)
