// Package main is the conformance test plugin (tests/conformance): RoundTrip re-encodes the decoded
// request unchanged, Transform applies a small deterministic change that conformance_test.py
// mirrors in Python (keep the two in step).
package main

import (
	"context"
	"strconv"

	"wasmplug.dev/guest/wkt/structpb"
	"wasmplug.test/conformance"
	"wasmplug.test/conformance/shared"
)

type plugin struct{}

var _ conformance.Conformance = plugin{}

// RoundTrip returns the decoded request as is: the generated wrapper encodes it again.
func (plugin) RoundTrip(_ context.Context, req *conformance.AllTypes) (*conformance.AllTypes, error) {
	return req, nil
}

// Transform, one change per field kind (integers wrap like Go's two's complement):
//   - f_int64: negated;
//   - f_string: "!" appended;
//   - r_int32: the list repeated twice; r_enum: reversed;
//   - m_string: entry "transformed" -> "yes" added (or replaced);
//   - oneof choice: c_string s -> c_bytes utf8(s); c_bytes b -> c_int32 len(b);
//     c_int32 n -> c_string decimal(n); unset -> c_enum GREEN; any other case -> unset;
//   - o_int32 (proto3 optional): cleared if set, else set to 42;
//   - f_nested: created if absent, its a incremented;
//   - tags (imported message): Tag{name: "go", level: HIGH} appended;
//   - w_timestamp: one second added if set; w_int32 (wrapper): incremented if set;
//   - w_values (map of google.protobuf.Value): entry "go" -> number 1.5 added (or replaced).
func (plugin) Transform(_ context.Context, m *conformance.AllTypes) (*conformance.AllTypes, error) {
	m.FInt64 = -m.FInt64
	m.FString += "!"
	m.RInt32 = append(m.RInt32, m.RInt32...)
	for i, j := 0, len(m.REnum)-1; i < j; i, j = i+1, j-1 {
		m.REnum[i], m.REnum[j] = m.REnum[j], m.REnum[i]
	}
	if m.MString == nil {
		m.MString = map[string]string{}
	}
	m.MString["transformed"] = "yes"
	switch c := m.Choice.(type) {
	case *conformance.AllTypes_CString:
		m.Choice = &conformance.AllTypes_CBytes{CBytes: []byte(c.CString)}
	case *conformance.AllTypes_CBytes:
		m.Choice = &conformance.AllTypes_CInt32{CInt32: int32(len(c.CBytes))}
	case *conformance.AllTypes_CInt32:
		m.Choice = &conformance.AllTypes_CString{CString: strconv.Itoa(int(c.CInt32))}
	case nil:
		m.Choice = &conformance.AllTypes_CEnum{CEnum: conformance.Color_GREEN}
	default:
		m.Choice = nil
	}
	if m.OInt32 != nil {
		m.OInt32 = nil
	} else {
		v := int32(42)
		m.OInt32 = &v
	}
	if m.FNested == nil {
		m.FNested = &conformance.AllTypes_Nested{}
	}
	m.FNested.A++
	m.Tags = append(m.Tags, &shared.Tag{Name: "go", Level: shared.Level_HIGH})
	if m.WTimestamp != nil {
		m.WTimestamp.Seconds++
	}
	if m.WInt32 != nil {
		m.WInt32.Value++
	}
	if m.WValues == nil {
		m.WValues = map[string]*structpb.Value{}
	}
	m.WValues["go"] = structpb.NewNumberValue(1.5)
	return m, nil
}

var kept = &conformance.AllTypes{}

// Keep returns the previous request it was given and keeps this one, decoded fields and all (large
// requests' bytes fields alias the buffer the host wrote them into, which the plugin then owns).
func (plugin) Keep(_ context.Context, req *conformance.AllTypes) (*conformance.AllTypes, error) {
	prev := kept
	kept = req
	return prev, nil
}

// Nest builds a reply req.FInt32 messages deep (see conformance.proto).
func (plugin) Nest(_ context.Context, req *conformance.AllTypes) (*conformance.AllTypes, error) {
	top := &conformance.AllTypes{}
	for m, i := top, int32(0); i < req.FInt32; i++ {
		m.Child = &conformance.AllTypes{}
		m = m.Child
	}
	return top, nil
}

func init() { conformance.RegisterConformance(plugin{}) }

// main is not run: the plugin is a WASI reactor; the host calls _initialize, which runs init.
func main() {}
