package wire

import (
	"testing"
	"unicode/utf8"
)

// validUTF8 agrees with utf8.Valid on runs of 2-byte characters (the 64- and 32-byte steps) with
// one byte replaced, at every position, by each kind of byte (ASCII of each top-bit pattern, a
// continuation, a lead of each length, an overlong lead, 0xFF), after 0-3 bytes of ASCII.
func TestValidUTF8TwoByteRunsWithOneBadByte(t *testing.T) {
	for lead := 0; lead < 4; lead++ {
		run := []byte("abc"[:lead])
		for len(run) < lead+130 {
			run = append(run, "é"...)
		}
		for at := range run {
			for _, c := range []byte{0x00, 0x30, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC3, 0xE0, 0xF0, 0xFF} {
				p := append([]byte(nil), run...)
				p[at] = c
				if got, want := validUTF8(p), utf8.Valid(p); got != want {
					t.Fatalf("lead %d, byte %d = %#x: validUTF8 %v, utf8.Valid %v", lead, at, c, got, want)
				}
			}
		}
	}
}
