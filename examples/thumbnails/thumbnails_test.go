package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/state/memstate"
	"github.com/faasport/faasport/testing/fntest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func platforms() []function.Platform {
	return []function.Platform{function.PlatformLambda, function.PlatformCloudFunctions, function.PlatformHTTP, function.PlatformAzureFunctions}
}

func jpegImage(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, nil))
	return buf.Bytes()
}

// Each platform gets its own storage and idempotency store, then the same
// uploads as that platform announces them.
func TestThumbnailsOnEveryPlatform(t *testing.T) {
	for _, p := range platforms() {
		t.Run(string(p), func(t *testing.T) {
			ctx := context.Background()
			blobs := newMemBlobs()
			require.NoError(t, blobs.Put(ctx, "uploads", "photos/sample.png", samplePNG, "image/png"))
			require.NoError(t, blobs.Put(ctx, "uploads", "photos/notes.txt", []byte("not an image"), "text/plain"))
			require.NoError(t, blobs.Put(ctx, "uploads", "photos/big.jpeg", jpegImage(t, 1024, 256), "image/jpeg"))
			h := newHandler(blobs, memstate.New(), quiet())
			upload := func(key string, opts ...fntest.InputOption) fntest.Result {
				t.Helper()
				r, err := fntest.Invoke(p, h, fntest.StorageObject("uploads", key, 1, opts...))
				require.NoError(t, err)
				return r
			}

			r := upload("photos/sample.png", fntest.Version("1"))
			require.NoError(t, r.Err)
			assert.False(t, r.Redelivered)
			assert.Equal(t, []string{"thumbnails/128/photos/sample.png", "thumbnails/512/photos/sample.png"}, blobs.keys("uploads", "thumbnails/"))
			for w, wantH := range map[int]int{128: 96, 512: 384} {
				b, ok := blobs.object("uploads", thumbnailKey("photos/sample.png", w, "png"))
				require.True(t, ok)
				assert.Equal(t, "image/png", b.contentType)
				cfg, format, err := image.DecodeConfig(bytes.NewReader(b.data))
				require.NoError(t, err)
				assert.Equal(t, "png", format)
				assert.Equal(t, [2]int{w, wantH}, [2]int{cfg.Width, cfg.Height})
			}
			writes := blobs.writes()

			r = upload("photos/sample.png", fntest.Version("1"), fntest.Attempt(2))
			require.NoError(t, r.Err)
			assert.Equal(t, writes, blobs.writes(), "a redelivered event writes nothing")

			r = upload("photos/sample.png", fntest.Version("2"))
			require.NoError(t, r.Err)
			assert.Equal(t, writes+2, blobs.writes(), "a new version gets new thumbnails")

			r = upload("thumbnails/128/photos/sample.png", fntest.Version("1"))
			require.NoError(t, r.Err)
			assert.Equal(t, 1, r.Calls)
			assert.Equal(t, writes+2, blobs.writes(), "the function's own outputs are skipped")

			r = upload("photos/big.jpeg", fntest.Version("1"))
			require.NoError(t, r.Err)
			b, ok := blobs.object("uploads", "thumbnails/512/photos/big.jpg")
			require.True(t, ok, "a JPEG upload gets JPEG thumbnails")
			assert.Equal(t, "image/jpeg", b.contentType)

			r = upload("photos/notes.txt", fntest.Version("1"))
			require.Error(t, r.Err)
			assert.True(t, function.IsPermanent(r.Err))
			assert.False(t, r.Redelivered, "an object that is no image is acknowledged, not retried")

			r = upload("photos/missing.png", fntest.Version("1"))
			require.Error(t, r.Err)
			assert.True(t, r.Redelivered, "an object not yet readable is retried")
		})
	}
}

// pngHeader is a PNG signature and IHDR chunk announcing w x h pixels.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		format  string
		wantErr string
	}{
		{name: "PNG", data: samplePNG, format: "png"},
		{name: "JPEG", data: jpegImage(t, 20, 10), format: "jpeg"},
		{name: "text", data: []byte("hello"), wantErr: "not a PNG, JPEG or GIF image"},
		{name: "empty", data: nil, wantErr: "not a PNG, JPEG or GIF image"},
		{name: "decompression bomb", data: pngHeader(100_000, 100_000), wantErr: "larger than"},
		{name: "truncated", data: pngHeader(10, 10), wantErr: "decode png image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, format, err := decode(tt.data)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.format, format)
			assert.NotNil(t, img)
		})
	}
}

func TestScaleKeepsSmallImages(t *testing.T) {
	img := scale(image.NewRGBA(image.Rect(0, 0, 40, 20)), 128)
	assert.Equal(t, image.Rect(0, 0, 40, 20), img.Bounds())
	img = scale(image.NewRGBA(image.Rect(0, 0, 1000, 1)), 128)
	assert.Equal(t, image.Rect(0, 0, 128, 1), img.Bounds(), "at least one pixel high")
}

func FuzzDecode(f *testing.F) {
	f.Add(samplePNG)
	f.Add(pngHeader(1, 1))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := decode(data)
		if err == nil {
			b := img.Bounds()
			require.LessOrEqual(t, b.Dx()*b.Dy(), maxPixels)
		}
	})
}

// A binary body (not valid UTF-8, with a NUL) round-trips on every
// platform: fntest.Serve base64-encodes it in Lambda's HTTP events.
func TestObjectServer(t *testing.T) {
	blobs := newMemBlobs()
	srv := objectServer(blobs)
	body := []byte{0x89, 'P', 'N', 'G', 0x00, 0xff, 0xfe, '\n'}
	put := httptestRequest(t, "PUT", "/objects/uploads/photos/a.txt", body)
	put.Header.Set("Content-Type", "application/octet-stream")
	fntest.Serve(t, srv, put, func(t *testing.T, p function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
	})
	fntest.Serve(t, srv, httptestRequest(t, "GET", "/objects/uploads/photos/a.txt", nil), func(t *testing.T, p function.Platform, resp *http.Response) {
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, body, b)
		assert.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
	})
	fntest.Serve(t, srv, httptestRequest(t, "GET", "/objects/uploads/?prefix=photos/", nil), func(t *testing.T, p function.Platform, resp *http.Response) {
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "photos/a.txt\n", string(b))
	})
	fntest.Serve(t, srv, httptestRequest(t, "GET", "/objects/uploads/nothing", nil), func(t *testing.T, p function.Platform, resp *http.Response) {
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
}

func httptestRequest(t *testing.T, method, target string, body []byte) *http.Request {
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	require.NoError(t, err)
	return req
}
