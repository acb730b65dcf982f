"""Pure survey statistics for SIPAS: weights, design-based rates, intervals,
rankings and charts.  Never imports flask, sqlalchemy or ``app``."""
