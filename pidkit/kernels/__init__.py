"""Compiled hot loops (Sinkhorn / I-projection) and their NumPy twins; not implemented yet."""
