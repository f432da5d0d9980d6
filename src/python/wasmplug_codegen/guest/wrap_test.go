package guest

import (
	"errors"
	"testing"

	"wasmplug.dev/guest/wire"
)

func TestWrapIsFmtErrorfW(t *testing.T) {
	err := wrap("svc.M: cannot decode request: ", wire.ErrTruncated)
	if err.Error() != "svc.M: cannot decode request: proto: truncated input" {
		t.Fatal(err.Error())
	}
	if !errors.Is(err, wire.ErrTruncated) {
		t.Fatal("errors.Is must see the wrapped error")
	}
	var he *HostError
	if !errors.As(wrap("x: ", &HostError{Message: "boom"}), &he) || he.Message != "boom" {
		t.Fatal("errors.As must see the wrapped error")
	}
}
