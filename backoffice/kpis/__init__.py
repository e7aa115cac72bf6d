"""The KPI dashboard as staff see it: the admin page, its tables, CSV exports and charts."""
