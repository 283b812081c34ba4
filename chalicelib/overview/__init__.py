"""The prefecture's view (issue 12 points 1–3): the funds ledger and its alerts, the library of files
delivered to the prefecture, and the overview with its server-drawn charts. Reads other areas only
through their repositories' public methods (chalicelib/overview/sources.py)."""
