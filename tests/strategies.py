"""Hypothesis strategies the property tests share."""

from __future__ import annotations

from hypothesis import strategies as st

# Characters XML 1.0 can carry in text: no surrogates, no control characters (tab and
# newline are drawn where a test wants them), no U+FFFE or U+FFFF.
xml_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")

# What XML 1.0 cannot carry, and what virtdeck's checks refuse where it is typed.
unwritable_chars = st.sampled_from(["\ufffe", "\uffff", "\x00", "\t", "\n", "\x1b", "\x7f"])
