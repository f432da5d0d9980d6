module wasmplug.gen/multi/app

go 1.24
