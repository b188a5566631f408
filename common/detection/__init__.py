"""The detector's pure core: baseline, surprise, signals, pump risk and the alert lifecycle.

Plain data in, plain data out, time passed in. ``functions/detect`` reads and writes
Firestore around it; ``common.detection.backtest`` replays a corpus through the very same
functions; the API's config preview calls :func:`common.detection.backtest.preview`.
"""
