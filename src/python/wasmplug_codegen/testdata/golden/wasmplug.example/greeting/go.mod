module wasmplug.example/greeting

go 1.24
