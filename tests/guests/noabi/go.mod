module wasmplug.test/guests/noabi

go 1.24
