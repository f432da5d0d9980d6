//go:build wasip1

package guest

import (
	"context"
	"errors"
	"runtime"
	"unsafe"

	"wasmplug.dev/guest/wire"
)

// pinned keeps every buffer handed out by malloc reachable until free, so the
// (non-moving) Go GC never reclaims memory the host is writing to.
var pinned = make(map[uint32][]byte)

// reply keeps the last reply or error message alive until the next call.
var reply []byte

//go:wasmexport malloc
func malloc(size uint32) uint32 {
	if size == 0 {
		return 0
	}
	b := make([]byte, size)
	ptr := pointer(b)
	pinned[ptr] = b
	return ptr
}

//go:wasmexport free
func free(ptr uint32) {
	delete(pinned, ptr)
}

// ABIVersion is returned by the wasmplug_abi export: it tells a wasmplug host
// that this guest understands wasmplug's extensions: error returns from host
// functions (1), the host-function reply buffer of wasmplug_host_reply (2).
// go-plugin hosts ignore it.
const ABIVersion = 2

//go:wasmexport wasmplug_abi
func wasmplugABI() int32 {
	return ABIVersion
}

// described holds the descriptions (wasmplug_codegen/describe.py) of the generated files
// in use. Go cannot write a wasm custom section; a constant that live code
// keeps is in the module's data, where `wasmplug inspect` finds it without
// running the plugin.
var described []string

// Describe keeps a generated file's description (its services and protobuf
// descriptors) in the plugin. Generated Register and New functions call it.
func Describe(blob string) {
	for _, b := range described {
		if b == blob {
			return
		}
	}
	described = append(described, blob)
}

// request is the buffer of the next large request, from wasmplug_request: the
// host writes the request there instead of into a buffer it reuses, and the
// export that receives it keeps it, so the request's bytes and string fields
// alias it rather than being copied out: one copy of the payload less per call
// (a field the plugin keeps keeps the whole buffer). At most one is pending;
// go-plugin hosts never ask for one.
var request []byte

//go:wasmexport wasmplug_request
func wasmplugRequest(size uint32) uint32 {
	request = nil
	if size == 0 {
		return 0
	}
	request = make([]byte, size)
	return pointer(request)
}

// takeRequest returns the pending request buffer if [ptr, ptr+size) is it
// (the export then owns it), else nil.
func takeRequest(ptr, size uint32) []byte {
	b := request
	if b == nil || ptr != pointer(b) || int(size) != len(b) {
		return nil
	}
	request = nil
	lastRequest = b
	return b
}

// lastRequest keeps the last handed-over request live until the next one, as
// the host's reused scratch buffer stays live for smaller requests: Go paces
// its GC by the live heap, and without it a stream of 1 MiB requests runs a GC
// cycle (~150 µs) every 4 calls instead of every 5.
var lastRequest []byte

// hostReply tells the host where to write host-function replies (ABI 2): a
// reply of up to cap bytes goes to ptr, and the host then sets cap to 0, so it
// writes there again only once the reply has been read and releaseHostReply
// has re-armed it (host calls made meanwhile, e.g. by another goroutine, get
// malloc'ed replies, as do larger replies). The host reads it on every host
// call; wasmplug_host_reply gives its address.
var hostReply struct{ ptr, cap uint32 }

// hostBuf backs hostReply; it grows to the size of a larger reply up to
// maxHostBuf (beyond that a malloc per reply costs little next to the copy).
var hostBuf []byte

const (
	minHostBuf = 1 << 10
	maxHostBuf = 64 << 10
)

//go:wasmexport wasmplug_host_reply
func wasmplugHostReply() uint32 {
	if hostBuf == nil {
		setHostBuf(minHostBuf)
	}
	return uint32(uintptr(unsafe.Pointer(&hostReply)))
}

func setHostBuf(n int) {
	hostBuf = make([]byte, n)
	hostReply.ptr, hostReply.cap = pointer(hostBuf), uint32(n)
}

// releaseHostReply is called once the reply at ptr has been read: it re-arms
// the reply buffer if the host wrote there, else unpins the malloc'ed reply
// and grows the buffer so the next reply of that size fits.
func releaseHostReply(ptr, size uint32) {
	if ptr == 0 {
		return
	}
	if hostBuf != nil && ptr == hostReply.ptr {
		hostReply.cap = uint32(len(hostBuf))
		return
	}
	delete(pinned, ptr) // the host wrote the reply into a buffer from our malloc
	if hostBuf != nil && int(size) > len(hostBuf) && size <= maxHostBuf {
		n := len(hostBuf)
		for n < int(size) {
			n *= 2
		}
		setHostBuf(n)
	}
}

// Bytes returns a view of [ptr, ptr+size) of linear memory (a request the host
// wrote). It is only valid during the current call; decoding copies out of it.
func Bytes(ptr, size uint32) []byte {
	if size == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ptr))), size)
}

func pointer(buf []byte) uint32 {
	if len(buf) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(&buf[0])))
}

// Pack keeps buf alive until the next call and returns ptr<<32|size (0 if empty).
func Pack(buf []byte) uint64 {
	reply = buf
	if len(buf) == 0 {
		return 0
	}
	return uint64(pointer(buf))<<32 | uint64(uint32(len(buf))&^ErrorBit)
}

// PackError returns err's message as an error reply (bit 31 of size set).
func PackError(err error) uint64 {
	msg := []byte(err.Error())
	if len(msg) >= ErrorBit {
		msg = msg[:ErrorBit-1]
	}
	reply = msg
	return uint64(pointer(msg))<<32 | uint64(len(msg)) | ErrorBit
}

// Request is what a generated request type implements (*T with Unmarshal).
type Request[T any] interface {
	*T
	Unmarshal(b []byte) error
}

// Reply is what a generated reply type implements.
type Reply interface {
	Marshal() ([]byte, error)
}

// Handle runs one plugin export: it decodes the request at [ptr, ptr+size),
// calls fn and returns the packed reply. A request that does not decode, a
// reply that does not encode and an error from fn all come back to the host as
// error replies, never as an empty reply.
func Handle[Req any, PReq Request[Req], Resp Reply](ptr, size uint32, method string, fn func(context.Context, PReq) (Resp, error)) uint64 {
	req := PReq(new(Req))
	var err error
	if b := takeRequest(ptr, size); b == nil {
		err = req.Unmarshal(Bytes(ptr, size))
	} else if m, ok := any(req).(wire.Message); ok {
		err = wire.UnmarshalOwned(b, m)
	} else {
		err = req.Unmarshal(b)
	}
	if err != nil {
		return PackError(wrap(method+": cannot decode request: ", err))
	}
	resp, err := fn(context.Background(), req)
	if err != nil {
		return PackError(err)
	}
	out, err := encodeReply(resp)
	if err != nil {
		return PackError(wrap(method+": cannot encode reply: ", err))
	}
	return Pack(out)
}

// replyBuf backs every encoded reply. A host reads a reply before it calls into
// this instance again, so one buffer that only grows saves an allocation (and
// its zeroing) per call: a 1 MiB reply costs a copy, not a fresh 1 MiB.
var replyBuf []byte

func encodeReply(resp Reply) ([]byte, error) {
	m, ok := any(resp).(wire.Message)
	if !ok {
		return resp.Marshal()
	}
	if n := m.Size(); cap(replyBuf) < n {
		replyBuf = make([]byte, 0, n)
	}
	replyEnc.Reset(replyBuf[:0]) // a package variable: a local would escape through MarshalTo
	m.MarshalTo(&replyEnc)
	return replyEnc.Finish()
}

var replyEnc wire.Encoder

// NotRegistered is the error reply of an export whose service has no
// implementation registered.
func NotRegistered(service string) uint64 {
	return PackError(errors.New(service + ": no implementation registered (call Register" + service + " from init)"))
}

// CallHost calls a host function import with req and returns a copy of its
// reply. A reply with bit 31 set is returned as a *HostError.
func CallHost(fn func(ptr, size uint32) uint64, req []byte) ([]byte, error) {
	v := fn(pointer(req), uint32(len(req)))
	runtime.KeepAlive(req)
	ptr, size, isErr := Unpack(v)
	out := append([]byte(nil), Bytes(ptr, size)...)
	releaseHostReply(ptr, size)
	if isErr {
		return nil, &HostError{Message: string(out)}
	}
	return out, nil
}

// Message is what generated messages implement for Invoke.
type Message interface {
	Marshal() ([]byte, error)
	Unmarshal(b []byte) error
}

// Invoke encodes req, calls the host function fn and decodes its reply into
// resp, a new message (generated clients pass new(T)).
func Invoke(fn func(ptr, size uint32) uint64, method string, req, resp Message) error {
	// On wasm the GC's background workers run only when this goroutine yields:
	// without that, a GC cycle (e.g. after a large request) is finished by
	// allocation assists alone, with write barriers on for thousands of calls
	// (+0.2-0.3 µs per host call). A yield every 256 calls lets it finish.
	hostCalls++
	if hostCalls%256 == 0 {
		runtime.Gosched()
	}
	if hostBusy { // a host call is under way (another goroutine, a nested call)
		return invoke(fn, method, req, resp, false)
	}
	hostBusy = true
	err := invoke(fn, method, req, resp, true)
	hostBusy = false
	return err
}

// While hostBusy, one Invoke uses hostReq (a grow-only buffer for requests:
// the host reads a request only during the call) and the encoder and decoder
// below, so that a host call allocates only what the reply decodes to. (A
// panic that a plugin recovers from leaves it set: later calls then allocate.)
var (
	hostCalls uint32
	hostBusy  bool
	hostReq   []byte
	hostEnc   wire.Encoder
	hostDec   wire.Decoder
)

func invoke(fn func(ptr, size uint32) uint64, method string, req, resp Message, shared bool) error {
	var in []byte
	var err error
	if m, ok := req.(wire.Message); ok && shared {
		in, err = encodeShared(m)
	} else {
		in, err = req.Marshal()
	}
	if err != nil {
		return wrap(method+": cannot encode request: ", err)
	}
	v := fn(pointer(in), uint32(len(in)))
	runtime.KeepAlive(in)
	ptr, size, isErr := Unpack(v)
	// Decoding copies what it keeps (strings, bytes, unknown fields), so the
	// reply is read in place and released right after.
	out := Bytes(ptr, size)
	if isErr {
		err = &HostError{Message: string(out)}
	} else if m, ok := resp.(wire.Message); ok && shared {
		hostDec = *wire.NewDecoder(out)
		m.UnmarshalFrom(&hostDec)
		err = hostDec.Err()
		hostDec = wire.Decoder{}
	} else {
		err = resp.Unmarshal(out)
	}
	releaseHostReply(ptr, size)
	if err != nil && !isErr {
		return wrap(method+": cannot decode reply: ", err)
	}
	return err
}

// encodeShared encodes m into hostReq (larger requests into a new buffer).
func encodeShared(m wire.Message) ([]byte, error) {
	n := m.Size()
	if n > maxHostBuf {
		return wire.Marshal(m)
	}
	if cap(hostReq) < n {
		hostReq = make([]byte, 0, max(n, minHostBuf))
	}
	hostEnc = *wire.NewEncoder(hostReq[:0])
	m.MarshalTo(&hostEnc)
	return hostEnc.Finish()
}
