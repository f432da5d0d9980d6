module wasmplug.test/guests/hostcall

go 1.24
