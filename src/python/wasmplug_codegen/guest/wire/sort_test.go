package wire

import (
	"math/rand"
	"slices"
	"testing"
)

// sortByKey orders like slices.SortFunc with compareKeys, on key sets rich in shared prefixes
// (keys that are prefixes of others are where upb's order differs from Go's), with and without a
// prefix common to all keys, and keys equal in the 8 bytes their rank holds.
func TestSortByKeyAgreesWithSortFunc(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "b", "ab", "\u00e9", "", "zz", "abcdefghij"}
	for n := 0; n <= 200; n++ {
		common := []string{"", "entry-", "abcdefghijklmnop"}[n%3]
		seen := map[string]bool{}
		var got []Entry[string, int]
		for len(got) < n {
			k := common
			for p := r.Intn(5); p > 0; p-- {
				k += alphabet[r.Intn(len(alphabet))]
			}
			if !seen[k] {
				seen[k] = true
				got = append(got, Entry[string, int]{Key: k, Val: len(got)})
			}
			if len(seen) > 3000 {
				break
			}
		}
		want := slices.Clone(got)
		slices.SortFunc(want, func(a, b Entry[string, int]) int { return compareKeys(a.Key, b.Key) })
		sortByKey(got)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d:\ngot  %q\nwant %q", n, got, want)
		}
	}
}
