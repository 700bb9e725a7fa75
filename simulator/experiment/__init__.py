"""Experiment layer: replicates, pairing, sweeps, executors, results store and provenance."""
