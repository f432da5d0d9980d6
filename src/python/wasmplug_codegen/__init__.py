"""protoc-gen-wasmplug: generates the Python host SDK and the Go guest SDK of go:plugin services."""
