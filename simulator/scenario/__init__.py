"""Scenario layer: the vocabulary of data rules, parameter declarations and scenario files (lowest layer)."""
