module wasmplug.test/conformance

go 1.24
