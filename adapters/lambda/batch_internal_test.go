package lambda

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGroupUnits(t *testing.T) {
	tests := []struct {
		name   string
		groups []string
		want   [][]int
	}{
		{"one group", []string{"a", "a", "a"}, [][]int{{0, 1, 2}}},
		{"interleaved, in order of first appearance", []string{"b", "a", "b", "c", "a"}, [][]int{{0, 2}, {1, 4}, {3}}},
		{"every record its own group", []string{"x", "y", "z"}, [][]int{{0}, {1}, {2}}},
		{"empty group key is a group", []string{"", "a", ""}, [][]int{{0, 2}, {1}}},
		{"no units", nil, [][]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			units := make([]unit, len(tt.groups))
			for i, g := range tt.groups {
				units[i].group = g
			}
			got := groupUnits(units)
			assert.Equal(t, tt.want, got)
			// Appending to one group must not spill into the next.
			if len(got) > 1 {
				got[0] = append(got[0], -1)
				assert.Equal(t, tt.want[1], got[1])
			}
		})
	}
	t.Run("10k groups", func(t *testing.T) {
		units := make([]unit, 10000)
		for i := range units {
			units[i].group = fmt.Sprint(i % 5000)
		}
		got := groupUnits(units)
		assert.Len(t, got, 5000)
		assert.Equal(t, []int{4999, 9999}, got[4999])
	})
}
