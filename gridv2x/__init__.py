"""gridv2x: EV hosting capacity, V1G and V2G on Swedish low-voltage feeders."""

__version__ = "0.1.0"
