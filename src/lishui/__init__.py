"""丽水市电子商务促进平台 — the Lishui e-commerce promotion platform."""

__version__ = "0.1.0"
