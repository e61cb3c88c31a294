"""Kept for the commands written against the old home; the plumbing lives in ``lishui.core.console``."""

from lishui.core.console import console_error, load, operator_actor

__all__ = ["console_error", "load", "operator_actor"]
