"""outreach: monthly outreach submissions into a DuckDB warehouse and the semi-annual report."""
