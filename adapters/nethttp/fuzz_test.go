package nethttp_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/adapters/nethttp"
)

// FuzzReadEvents feeds arbitrary headers ("Key: value" lines) and bodies to
// the decoder: it must never panic, must answer every failure with a 4xx
// problem, and what it accepts must survive a write and a second read.
// Seeds are in testdata/fuzz/FuzzReadEvents.
func FuzzReadEvents(f *testing.F) {
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		for line := range strings.SplitSeq(header, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				req.Header.Add(k, strings.TrimSpace(v))
			}
		}
		evs, mode, err := nethttp.ReadEvents(req, limit)
		if err != nil {
			var p *nethttp.Problem
			require.ErrorAs(t, err, &p)
			require.GreaterOrEqual(t, p.Status, 400, err.Error())
			require.Less(t, p.Status, 500, err.Error())
			require.NotEmpty(t, p.Detail)
			return
		}
		require.NotEqual(t, nethttp.ModeNone, mode)

		rec := httptest.NewRecorder()
		if err := nethttp.WriteEvents(rec, mode, evs); err != nil {
			require.True(t, errors.Is(err, nethttp.ErrInvalidReply), err.Error())
			return
		}
		if len(evs) == 0 {
			require.Equal(t, http.StatusNoContent, rec.Code)
			return
		}
		back := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(rec.Body.Bytes()))
		back.Header = rec.Header().Clone()
		again, mode2, err := nethttp.ReadEvents(back, limit*2)
		require.NoError(t, err, "re-reading what was written: %s", rec.Body.String())
		require.Equal(t, mode, mode2)
		require.Len(t, again, len(evs))
		for i := range evs {
			require.Equal(t, evs[i].ID(), again[i].ID())
			require.Equal(t, evs[i].Type(), again[i].Type())
			require.Equal(t, evs[i].Subject(), again[i].Subject())
			require.Equal(t, evs[i].Extensions(), again[i].Extensions())
			require.Equal(t, string(evs[i].Data()), string(again[i].Data()))
		}
	})
}
