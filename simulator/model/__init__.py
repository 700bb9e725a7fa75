"""Model layer: the Mesa model, firm population, network, behaviours and metrics (knows nothing of files)."""
