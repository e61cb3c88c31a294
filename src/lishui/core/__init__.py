"""Mechanisms every domain shares: database, errors, money, clock, audit, ids, crypto, authorisation."""
