"""``make demo``: the whole pipeline on the bundled replay corpus, watched from the outside.

The demo is a driver, not a component: it starts the local stack, plays the scheduler in
accelerated data time and reports what the pipeline did, through the same topics, documents
and API a real deployment has. Nothing in it is deployed.
"""
