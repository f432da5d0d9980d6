package anypb

import (
	"fmt"
	"strings"

	"wasmplug.dev/guest/wire"
)

// URLPrefix is the type URL prefix New uses.
const URLPrefix = "type.googleapis.com/"

// Message is a generated message (any *T from protoc-gen-wasmplug).
type Message interface {
	wire.Message
	Unmarshal(b []byte) error
}

// New packs m into an Any with type URL URLPrefix + m.ProtoName().
func New(m wire.Message) (*Any, error) {
	b, err := wire.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &Any{TypeUrl: URLPrefix + m.ProtoName(), Value: b}, nil
}

// MessageName is the full message name of the type URL (the part after the last '/').
func (x *Any) MessageName() string {
	url := x.GetTypeUrl()
	return url[strings.LastIndexByte(url, '/')+1:]
}

// MessageIs reports whether x holds a message of m's type.
func (x *Any) MessageIs(m wire.Message) bool {
	return x.MessageName() == m.ProtoName()
}

// UnmarshalTo decodes the packed message into m, which must be of the packed type.
func (x *Any) UnmarshalTo(m Message) error {
	if !x.MessageIs(m) {
		return fmt.Errorf("anypb: mismatched message type: got %q, want %q", x.MessageName(), m.ProtoName())
	}
	return m.Unmarshal(x.GetValue())
}
