module wasmplug.dev/guest

go 1.24
