"""Linli (邻里): community governance and service platform."""
