//go:build wasip1

// Test guest that calls host functions and advertises the wasmplug ABI extension
// (wasmplug_abi), so host-function errors come back as bit-31 replies instead of traps.
package main

import (
	"strconv"
	"unsafe"
)

var pinned = map[uint32][]byte{}
var reply []byte

//go:wasmexport malloc
func malloc(size uint32) uint32 {
	if size == 0 {
		return 0
	}
	buf := make([]byte, size)
	p := uint32(uintptr(unsafe.Pointer(&buf[0])))
	pinned[p] = buf
	return p
}

//go:wasmexport free
func free(ptr uint32) { delete(pinned, ptr) }

//go:wasmexport wasmplug_abi
func wasmplugABI() int32 { return 1 }

//go:wasmimport env host_echo
func hostEcho(ptr, size uint32) uint64

//go:wasmimport env host_fail
func hostFail(ptr, size uint32) uint64

func view(ptr, size uint32) []byte {
	if size == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ptr))), size)
}

func pack(b []byte, isErr bool) uint64 {
	reply = b
	if len(b) == 0 {
		return 0
	}
	v := uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | uint64(len(b))
	if isErr {
		v |= 1 << 31
	}
	return v
}

// callHost sends req to a host function and copies its reply out of the host-allocated buffer.
func callHost(fn func(ptr, size uint32) uint64, req []byte) ([]byte, bool) {
	var p uint32
	if len(req) > 0 {
		p = uint32(uintptr(unsafe.Pointer(&req[0])))
	}
	v := fn(p, uint32(len(req)))
	rp, rs := uint32(v>>32), uint32(v)
	isErr := rs&(1<<31) != 0
	rs &^= 1 << 31
	out := append([]byte(nil), view(rp, rs)...)
	delete(pinned, rp)
	return out, isErr
}

//go:wasmexport call_host_echo
func callHostEcho(ptr, size uint32) uint64 {
	out, isErr := callHost(hostEcho, view(ptr, size))
	if isErr {
		return pack(append([]byte("host error: "), out...), true)
	}
	return pack(out, false)
}

//go:wasmexport call_host_fail
func callHostFail(ptr, size uint32) uint64 {
	out, isErr := callHost(hostFail, view(ptr, size))
	if isErr {
		return pack(append([]byte("host error: "), out...), true)
	}
	return pack(out, false)
}

// call_host_n calls host_echo n times (decimal request) with an 8-byte payload.
//
//go:wasmexport call_host_n
func callHostN(ptr, size uint32) uint64 {
	n, _ := strconv.Atoi(string(view(ptr, size)))
	req := []byte("12345678")
	for i := 0; i < n; i++ {
		callHost(hostEcho, req)
	}
	return pack(nil, false)
}

func main() {}
