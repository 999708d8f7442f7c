"""Batches: upload intake, durable storage, ZIP reading, the worker and result files."""
