"""Benchmarks of broker: each prints one JSON object on stdout.

Run them all with ``python -m benchmarks`` (what ``make bench`` does), or one
by name with its options, e.g. ``python -m benchmarks suggest --sizes 1k,100k``.
Progress goes to stderr. Synthetic files and loaded stores are kept in
``$BROKER_BENCH_DIR`` (default /tmp/broker-bench) and reused.
"""
