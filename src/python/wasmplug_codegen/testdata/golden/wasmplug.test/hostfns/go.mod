module wasmplug.test/hostfns

go 1.24
