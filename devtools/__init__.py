"""Development tooling: what the local stack, the benchmarks, the demo and the evals use and
production never runs. Nothing here is staged into the deployed source archive
(scripts/build_source.py), and nothing under ``common/`` or ``functions/`` imports it."""
