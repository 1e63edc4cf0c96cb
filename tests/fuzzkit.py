"""Hypothesis strategies shared by the fuzz tests."""

from __future__ import annotations

from datetime import timedelta, timezone

from hypothesis import strategies as st

# ISO moments as CH might send them, and worse: naive, or with any offset up to a day (PostgreSQL
# refuses offsets past 15:59).
iso_moments = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.builds(
        lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
        st.datetimes(),
        st.integers(-(24 * 60 - 1), 24 * 60 - 1),
    ),
)
