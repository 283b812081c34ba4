"""Benchmarks (docs/SPEC.md §6.1): each prints a table; none is part of `make test`. Run all: `make bench`."""
