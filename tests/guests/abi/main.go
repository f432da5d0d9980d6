//go:build wasip1

// Test guest for the wasmplug host runtime. It implements the plugin ABI by hand
// (malloc/free/wasmplug_abi, ptr<<32|size replies, bit 31 = error) so the runtime's
// tests do not depend on the generator.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

// pinned keeps buffers handed to the host alive; Go's GC does not see raw uint32 pointers.
var pinned = map[uint32][]byte{}

// reply is the last reply buffer; it stays pinned until the next call (the host never frees it).
var reply []byte

func alloc(size uint32) uint32 {
	if size == 0 {
		return 0
	}
	buf := make([]byte, size)
	p := uint32(uintptr(unsafe.Pointer(&buf[0])))
	pinned[p] = buf
	return p
}

//go:wasmexport malloc
func malloc(size uint32) uint32 { return alloc(size) }

//go:wasmexport free
func free(ptr uint32) { delete(pinned, ptr) }

//go:wasmexport wasmplug_abi
func wasmplugABI() int32 { return 1 }

//go:wasmexport greeter_api_version
func greeterAPIVersion() uint64 { return 1 }

func view(ptr, size uint32) []byte {
	if size == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ptr))), size)
}

func pack(b []byte) uint64 {
	reply = b
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | uint64(len(b))
}

func packError(msg string) uint64 {
	b := []byte(msg)
	return pack(b) | 1<<31
}

//go:wasmexport echo
func echo(ptr, size uint32) uint64 { return pack(append([]byte(nil), view(ptr, size)...)) }

//go:wasmexport upper
func upper(ptr, size uint32) uint64 { return pack([]byte(strings.ToUpper(string(view(ptr, size))))) }

//go:wasmexport fail
func fail(ptr, size uint32) uint64 { return packError("failed: " + string(view(ptr, size))) }

//go:wasmexport empty
func empty(ptr, size uint32) uint64 { return pack(nil) }

//go:wasmexport panic_now
func panicNow(ptr, size uint32) uint64 { panic(string(view(ptr, size))) }

//go:wasmexport spin
func spin(ptr, size uint32) uint64 {
	for {
	}
}

// work runs a compute loop of n (decimal request) iterations; for thread tests.
//
//go:wasmexport work
func work(ptr, size uint32) uint64 {
	n, _ := strconv.Atoi(string(view(ptr, size)))
	acc := uint32(0)
	for i := 0; i < n; i++ {
		acc = acc*31 + uint32(i)
	}
	return pack([]byte(strconv.FormatUint(uint64(acc), 10)))
}

var hoard [][]byte

// grab allocates and keeps n bytes (decimal request); for memory-limit tests.
//
//go:wasmexport grab
func grab(ptr, size uint32) uint64 {
	n, _ := strconv.Atoi(string(view(ptr, size)))
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = 1
	}
	hoard = append(hoard, b)
	return pack([]byte("ok"))
}

//go:wasmexport print_stdout
func printStdout(ptr, size uint32) uint64 {
	fmt.Fprint(os.Stdout, string(view(ptr, size)))
	return pack(nil)
}

//go:wasmexport print_stderr
func printStderr(ptr, size uint32) uint64 {
	fmt.Fprint(os.Stderr, string(view(ptr, size)))
	return pack(nil)
}

//go:wasmexport read_file
func readFile(ptr, size uint32) uint64 {
	b, err := os.ReadFile(string(view(ptr, size)))
	if err != nil {
		return packError(err.Error())
	}
	return pack(b)
}

// write_file: request is "path\x00content".
//
//go:wasmexport write_file
func writeFile(ptr, size uint32) uint64 {
	path, content, _ := strings.Cut(string(view(ptr, size)), "\x00")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return packError(err.Error())
	}
	return pack(nil)
}

//go:wasmexport environ
func environ(ptr, size uint32) uint64 { return pack([]byte(strings.Join(os.Environ(), "\n"))) }

//go:wasmexport args
func args(ptr, size uint32) uint64 { return pack([]byte(strings.Join(os.Args, "\n"))) }

func main() {}

var calls int

// count returns how many times it was called on this instance (pool/fresh-instance tests).
//
//go:wasmexport count
func count(ptr, size uint32) uint64 {
	calls++
	return pack([]byte(strconv.Itoa(calls)))
}
