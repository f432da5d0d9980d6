module wasmplug.test/wkt

go 1.24
