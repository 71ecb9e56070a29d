"""The harness: a static page that drives the Kakao login flow by hand, its tiny server, and the
code that brings the fake Kakao, the service and the page up together (`run_all.py`)."""
