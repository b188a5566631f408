"""Benchmarks: each module measures one part beside its ceiling measured in the same run."""
