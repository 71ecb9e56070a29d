"""Load benchmarks: our service against Tornado's own ceiling and the original synchronous design.

`python -m bench` runs the full matrix (about five minutes); `python -m bench --quick` runs one
short case per target to prove the machinery still works. See bench/README.md for the method.
"""
