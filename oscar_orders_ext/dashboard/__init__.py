"""The workspace in Oscar's dashboard: table, Kanban boards and funnel settings."""
