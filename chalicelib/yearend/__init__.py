"""The year-end pack (issue 12 point 9; the prefecture's specification 6(6) 成果物の提出: the completion
report's data): every settlement round with its files' SHA-256, every day's and month's inquiry count,
escalations, sessions and surveys, the funds ledger, a summary XLSX, a PDF report with charts and an
index. Reads other areas only through their public functions (chalicelib/yearend/sources.py)."""
