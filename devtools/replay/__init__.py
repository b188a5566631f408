"""The replay corpus: a seeded generator of realistic Reddit traffic with labelled scenarios.

Used by the local Reddit server, the demo and the backtest; never imported by a deployed
function's hot path (it holds a whole corpus in memory on purpose).
"""
