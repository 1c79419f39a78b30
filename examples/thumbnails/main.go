// Command thumbnails makes thumbnails of every image uploaded to a bucket,
// on any platform: S3 notifications on AWS Lambda, Cloud Storage events on
// Cloud Functions or Cloud Run, a blob trigger on Azure Functions,
// CloudEvents over HTTP in a container.
//
// Each new object is read, decoded (PNG, JPEG, GIF) and scaled to 128 and
// 512 pixels wide with golang.org/x/image/draw; the thumbnails are written
// to thumbnails/<width>/<key> in the same bucket. Storage events arrive at
// least once, so the work is guarded per object version: a redelivered or
// repeated event writes nothing twice, an overwrite makes new thumbnails.
// The function's own outputs are skipped, so it never triggers itself.
//
// Storage is in memory by default, seeded with one sample image at
// uploads/photos/sample.png, and served over HTTP for local runs:
// GET /objects/<bucket>/<key> reads an object, PUT writes one.
package main

import (
	"context"
	_ "embed"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/faasport/faasport/adapters"
	"github.com/faasport/faasport/state/memstate"
)

//go:embed sample.png
var samplePNG []byte

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	blobs := newMemBlobs()
	_ = blobs.Put(context.Background(), "uploads", "photos/sample.png", samplePNG, "image/png")
	err := adapters.Start(
		adapters.Events(newHandler(blobs, memstate.New(), logger)),
		adapters.HTTP(objectServer(blobs)),
		adapters.WithLogger(logger),
	)
	if err != nil {
		logger.Error("thumbnails stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// objectServer reads and writes the in-memory objects over HTTP, so a local
// run can upload an image and fetch its thumbnails.
func objectServer(blobs *memBlobs) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /objects/{bucket}/{key...}", func(w http.ResponseWriter, r *http.Request) {
		b, ok := blobs.object(r.PathValue("bucket"), r.PathValue("key"))
		if !ok {
			http.Error(w, "thumbnails: no such object", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", b.contentType)
		_, _ = w.Write(b.data)
	})
	mux.HandleFunc("GET /objects/{bucket}/{$}", func(w http.ResponseWriter, r *http.Request) {
		for _, k := range blobs.keys(r.PathValue("bucket"), r.URL.Query().Get("prefix")) {
			_, _ = io.WriteString(w, k+"\n")
		}
	})
	mux.HandleFunc("PUT /objects/{bucket}/{key...}", func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 32<<20))
		if err != nil {
			http.Error(w, "thumbnails: read the upload: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		if err := blobs.Put(r.Context(), r.PathValue("bucket"), r.PathValue("key"), data, r.Header.Get("Content-Type")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	return mux
}
