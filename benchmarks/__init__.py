"""Vigie's benchmarks: ``make bench`` runs :mod:`benchmarks.run`; see ``benchmarks/README.md``."""
