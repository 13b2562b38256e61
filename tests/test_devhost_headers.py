"""The dev host's own response headers: a Date in RFC 9110's IMF-fixdate form, as the Functions
host sends (formatted once a second, so consecutive answers may share it)."""
from __future__ import annotations

import time
from email.utils import parsedate_to_datetime


def test_answers_carry_a_current_gmt_date(anonymous):
    before = time.time()
    date = anonymous.get("/api/health").headers["Date"]
    after = time.time()
    assert date.endswith(" GMT") and len(date) == 29, date
    assert int(before) - 1 <= parsedate_to_datetime(date).timestamp() <= after
