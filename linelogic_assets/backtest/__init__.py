"""The backtester: strategies replayed over the lake, strictly as of each decision time."""
