"""Consultation session routes (相談会): planning, coverage, attendance, surveys, manuals, public page."""

from __future__ import annotations

from chalice import Blueprint

bp = Blueprint(__name__)
