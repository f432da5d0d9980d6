module wasmplug.test/guests/abi

go 1.24
