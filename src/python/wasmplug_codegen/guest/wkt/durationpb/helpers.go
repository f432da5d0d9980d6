package durationpb

import (
	"errors"
	"math"
	"time"
)

// New returns the Duration of d.
func New(d time.Duration) *Duration {
	nanos := d.Nanoseconds()
	return &Duration{Seconds: nanos / 1e9, Nanos: int32(nanos % 1e9)}
}

// AsDuration returns x as a time.Duration, saturating at the limits of time.Duration.
func (x *Duration) AsDuration() time.Duration {
	secs, nanos := x.GetSeconds(), int64(x.GetNanos())
	d := time.Duration(secs) * time.Second
	if d/time.Second != time.Duration(secs) { // overflow
		if secs < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	total := d + time.Duration(nanos)
	if (nanos > 0 && total < d) || (nanos < 0 && total > d) {
		if nanos < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return total
}

// IsValid reports whether x is in range and its fields have the same sign.
func (x *Duration) IsValid() bool { return x.CheckValid() == nil }

// CheckValid returns an error if x is nil, out of range or inconsistent.
func (x *Duration) CheckValid() error {
	const maxSeconds = 315576000000
	switch {
	case x == nil:
		return errors.New("invalid nil Duration")
	case x.Seconds < -maxSeconds || x.Seconds > maxSeconds:
		return errors.New("Duration seconds out of range")
	case x.Nanos <= -1e9 || x.Nanos >= 1e9:
		return errors.New("Duration nanos out of range")
	case (x.Seconds > 0 && x.Nanos < 0) || (x.Seconds < 0 && x.Nanos > 0):
		return errors.New("Duration seconds and nanos have different signs")
	}
	return nil
}
