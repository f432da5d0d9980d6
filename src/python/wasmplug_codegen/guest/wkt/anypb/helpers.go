package anypb

import (
	"errors"
	"strconv"

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
	for i := len(url) - 1; i >= 0; i-- {
		if url[i] == '/' {
			return url[i+1:]
		}
	}
	return url
}

// MessageIs reports whether x holds a message of m's type.
func (x *Any) MessageIs(m wire.Message) bool {
	return x.MessageName() == m.ProtoName()
}

// UnmarshalTo decodes the packed message into m, which must be of the packed type.
func (x *Any) UnmarshalTo(m Message) error {
	if !x.MessageIs(m) {
		return errors.New("anypb: mismatched message type: got " + strconv.Quote(x.MessageName()) + ", want " + strconv.Quote(m.ProtoName()))
	}
	return m.Unmarshal(x.GetValue())
}
