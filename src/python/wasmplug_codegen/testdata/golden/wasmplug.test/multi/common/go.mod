module wasmplug.test/multi/common

go 1.24
