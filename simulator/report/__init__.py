"""Report layer: figures and the self-contained HTML report, built from result files only."""
