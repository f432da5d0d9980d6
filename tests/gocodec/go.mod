module wasmplug.dev/tests/gocodec

go 1.24
