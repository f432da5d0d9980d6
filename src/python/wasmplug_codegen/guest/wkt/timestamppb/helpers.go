package timestamppb

import (
	"errors"
	"time"
)

// The range of valid Timestamps: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const (
	minSeconds = -62135596800
	maxSeconds = 253402300799
)

// New returns the Timestamp of t.
func New(t time.Time) *Timestamp {
	return &Timestamp{Seconds: t.Unix(), Nanos: int32(t.Nanosecond())}
}

// Now returns the current time as a Timestamp.
func Now() *Timestamp { return New(time.Now()) }

// AsTime returns the Timestamp as a UTC time.Time (the zero Timestamp is the Unix epoch).
func (x *Timestamp) AsTime() time.Time {
	return time.Unix(x.GetSeconds(), int64(x.GetNanos())).UTC()
}

// IsValid reports whether x is within the valid range and normalized.
func (x *Timestamp) IsValid() bool { return x.CheckValid() == nil }

// CheckValid returns an error if x is nil, out of range or not normalized.
func (x *Timestamp) CheckValid() error {
	switch {
	case x == nil:
		return errors.New("invalid nil Timestamp")
	case x.Seconds < minSeconds || x.Seconds > maxSeconds:
		return errors.New("Timestamp seconds out of range")
	case x.Nanos < 0 || x.Nanos >= 1e9:
		return errors.New("Timestamp nanos out of range")
	}
	return nil
}
