package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/state"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// Item is the API's resource.
type Item struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// catalog holds the items; in a real function, a database.
type catalog struct {
	mu    sync.Mutex
	seq   int
	items map[string]Item
}

func newCatalog() *catalog { return &catalog{items: map[string]Item{}} }

func (c *catalog) create(it Item) Item {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	it.ID = "item-" + strconv.Itoa(c.seq)
	c.items[it.ID] = it
	return it
}

func (c *catalog) get(id string) (Item, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[id]
	return it, ok
}

func (c *catalog) put(it Item) (created bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, exists := c.items[it.ID]
	c.items[it.ID] = it
	return !exists
}

func (c *catalog) remove(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.items[id]
	delete(c.items, id)
	return ok
}

func (c *catalog) list() []Item {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Item, 0, len(c.items))
	for _, it := range c.items {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b Item) int { return compareIDs(a.ID, b.ID) })
	return out
}

// compareIDs orders item-<n> ids by n (creation order), other ids (from PUT)
// after them by name.
func compareIDs(a, b string) int {
	na, ea := strconv.Atoi(strings.TrimPrefix(a, "item-"))
	nb, eb := strconv.Atoi(strings.TrimPrefix(b, "item-"))
	switch {
	case ea == nil && eb == nil:
		return cmp.Compare(na, nb)
	case ea == nil:
		return -1
	case eb == nil:
		return 1
	}
	return cmp.Compare(a, b)
}

// newHandler builds the API on the standard library's ServeMux. POST
// /items is idempotent: a retry with the same Idempotency-Key and body gets
// the first response (Idempotent-Replayed: true) and creates nothing; the
// same key with another body gets 422.
func newHandler(c *catalog, store state.Store, logger *slog.Logger) http.Handler {
	once := idempotency.NewGuard(store, idempotency.WithLogger(logger))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]Item{"items": c.list()})
	})
	mux.Handle("POST /items", validItem(once.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		it, err := decodeItem(w, r)
		if err != nil {
			writeProblem(w, http.StatusBadRequest, err)
			return
		}
		it = c.create(it)
		w.Header().Set("Location", "/items/"+it.ID)
		writeJSON(w, http.StatusCreated, it)
	}))))
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		it, ok := c.get(r.PathValue("id"))
		if !ok {
			writeProblem(w, http.StatusNotFound, fmt.Errorf("api: no item %q", r.PathValue("id")))
			return
		}
		writeJSON(w, http.StatusOK, it)
	})
	mux.Handle("PUT /items/{id}", validItem(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		it, err := decodeItem(w, r)
		if err != nil {
			writeProblem(w, http.StatusBadRequest, err)
			return
		}
		it.ID = r.PathValue("id")
		status := http.StatusOK
		if c.put(it) {
			status = http.StatusCreated
		}
		writeJSON(w, status, it)
	})))
	mux.HandleFunc("DELETE /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !c.remove(r.PathValue("id")) {
			writeProblem(w, http.StatusNotFound, fmt.Errorf("api: no item %q", r.PathValue("id")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// decodeItem reads the item in a POST or PUT body. validItem has already
// checked the body against item.schema.json; the checks here keep the
// handler safe on its own (a route added without validItem).
func decodeItem(w http.ResponseWriter, r *http.Request) (Item, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return Item{}, fmt.Errorf("api: send the item as application/json, not %s", ct)
	}
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	d.DisallowUnknownFields()
	var in struct {
		Name       *string `json:"name"`
		PriceCents *int64  `json:"price_cents"`
	}
	if err := d.Decode(&in); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Item{}, fmt.Errorf("api: the body is over %d bytes", maxBody)
		}
		return Item{}, fmt.Errorf("api: the body is not an item: %w", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return Item{}, errors.New("api: the body holds more than one JSON value")
	}
	switch {
	case in.Name == nil || strings.TrimSpace(*in.Name) == "":
		return Item{}, errors.New("api: an item needs a name")
	case utf8.RuneCountInString(*in.Name) > 100:
		return Item{}, errors.New("api: an item's name is at most 100 characters")
	case in.PriceCents == nil || *in.PriceCents < 0:
		return Item{}, errors.New("api: an item needs a price_cents of 0 or more")
	}
	return Item{Name: *in.Name, PriceCents: *in.PriceCents}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeProblem answers with an RFC 9457 problem document.
func writeProblem(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": err.Error()})
}
