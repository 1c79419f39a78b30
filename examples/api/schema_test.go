package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/state/memstate"
)

func TestItemSchema(t *testing.T) {
	h := newHandler(newCatalog(), memstate.New(), slog.New(slog.DiscardHandler))
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		status   int
		pointers []string
	}{
		{"valid post", http.MethodPost, "/items", `{"name":"pen","price_cents":150}`, http.StatusCreated, nil},
		{"every violation named", http.MethodPost, "/items", `{"name":" ","price_cents":-1,"colour":"red"}`, http.StatusUnprocessableEntity, []string{"", "/name", "/price_cents"}},
		{"missing fields", http.MethodPut, "/items/a", `{}`, http.StatusUnprocessableEntity, []string{""}},
		{"wrong type", http.MethodPut, "/items/a", `{"name":"pen","price_cents":"1"}`, http.StatusUnprocessableEntity, []string{"/price_cents"}},
		{"not json", http.MethodPost, "/items", `{"name":`, http.StatusBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status < 400 {
				return
			}
			assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
			var p struct {
				Errors []struct{ Pointer string } `json:"errors"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
			var got []string
			for _, e := range p.Errors {
				if len(got) == 0 || got[len(got)-1] != e.Pointer {
					got = append(got, e.Pointer)
				}
			}
			assert.Equal(t, tt.pointers, got)
		})
	}
}
