"""The domain layer: tables, rules and services. Imports neither reflex nor plotly."""
