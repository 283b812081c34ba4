"""Consultation sessions (相談会, docs/SPEC.md §4.6): planning, coverage, running, surveys, manuals."""
