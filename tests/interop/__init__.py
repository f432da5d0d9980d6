"""Interop tests with go-plugin, and build helpers for the benchmark peers."""
