"""Insights: the KPI summaries, their nightly rebuild and the KPI figures read from them."""
