"""fastgen's benchmarks: the generated service against a bare endpoint and raw websockets.

Run ``python -m bench --help`` from the repository root. Every run stops by itself and
talks to loopback only; the numbers are ratios measured side by side in one run.
"""
