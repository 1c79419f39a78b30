package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif" // GIF uploads are read; thumbnails are PNG
	"image/jpeg"
	"image/png"
	"log/slog"
	"path"
	"strconv"
	"strings"

	"golang.org/x/image/draw"

	"github.com/faasport/faasport/function"
	"github.com/faasport/faasport/idempotency"
	"github.com/faasport/faasport/middleware"
	"github.com/faasport/faasport/state"
	"github.com/faasport/faasport/trigger"
)

// outputPrefix is where thumbnails go, in the upload's bucket. Objects under
// it are the function's own outputs: their events are skipped, so the
// function never triggers itself in a loop.
const outputPrefix = "thumbnails/"

// maxPixels bounds the images the function decodes (a decompression bomb is
// a small file that decodes to gigabytes).
const maxPixels = 50_000_000

// defaultWidths are the thumbnail widths made of each upload.
func defaultWidths() []int { return []int{128, 512} }

// thumbnailer makes thumbnails of uploaded images.
type thumbnailer struct {
	blobs  Blobs
	once   *idempotency.Guard
	widths []int
}

// newHandler builds the function: one thumbnail set per object version,
// behind the default middleware.
func newHandler(blobs Blobs, store state.Store, logger *slog.Logger) function.Handler {
	t := &thumbnailer{blobs: blobs, once: idempotency.NewGuard(store, idempotency.WithLogger(logger)), widths: defaultWidths()}
	return function.Chain(trigger.Storage(t.handle), middleware.Default(middleware.WithLogger(logger))...)
}

func (t *thumbnailer) handle(ctx context.Context, o trigger.Object) error {
	log := middleware.Logger(ctx)
	switch {
	case o.Change != trigger.ObjectCreated:
		return nil // deletions and metadata changes leave thumbnails alone
	case strings.HasPrefix(o.Key, outputPrefix):
		log.DebugContext(ctx, "skipped own output", slog.String("key", o.Key))
		return nil
	}
	// One run per object version: a redelivered event, or the same upload
	// announced twice, does nothing; an overwrite (a new version) runs again.
	version := o.Version
	if version == "" {
		version = o.ETag
	}
	key := o.Bucket + "/" + o.Key + "@" + version
	_, err := t.once.Do(ctx, key, nil, func(ctx context.Context) ([]byte, error) {
		return nil, t.make(ctx, o)
	})
	return err
}

// make writes one thumbnail per width for object o.
func (t *thumbnailer) make(ctx context.Context, o trigger.Object) error {
	data, err := t.blobs.Get(ctx, o.Bucket, o.Key)
	if err != nil {
		return fmt.Errorf("thumbnails: read %s/%s: %w", o.Bucket, o.Key, err) // retryable
	}
	src, format, err := decode(data)
	if err != nil {
		return function.Permanent(fmt.Errorf("thumbnails: %s/%s: %w", o.Bucket, o.Key, err))
	}
	for _, w := range t.widths {
		out, ct, err := encode(scale(src, w), format)
		if err != nil {
			return function.Permanent(fmt.Errorf("thumbnails: encode %s/%s at width %d: %w", o.Bucket, o.Key, w, err))
		}
		name := thumbnailKey(o.Key, w, format)
		if err := t.blobs.Put(ctx, o.Bucket, name, out, ct); err != nil {
			return fmt.Errorf("thumbnails: write %s/%s: %w", o.Bucket, name, err)
		}
		middleware.Logger(ctx).InfoContext(ctx, "thumbnail written",
			slog.String("bucket", o.Bucket), slog.String("key", name), slog.Int("bytes", len(out)))
	}
	return nil
}

// thumbnailKey names the thumbnail of key at width w: thumbnails/<w>/<key>,
// with a .jpg or .png extension for the format written.
func thumbnailKey(key string, w int, format string) string {
	ext := ".png"
	if format == "jpeg" {
		ext = ".jpg"
	}
	return outputPrefix + strconv.Itoa(w) + "/" + strings.TrimSuffix(key, path.Ext(key)) + ext
}

// decode reads a PNG, JPEG or GIF image, refusing ones too large to decode.
func decode(data []byte) (image.Image, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("not a PNG, JPEG or GIF image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return nil, "", fmt.Errorf("image of %dx%d pixels is empty or larger than %d pixels", cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("decode %s image: %w", format, err)
	}
	return img, format, nil
}

// scale resizes src to width w, keeping its aspect ratio; an image already
// narrower is kept at its size.
func scale(src image.Image, w int) image.Image {
	b := src.Bounds()
	if b.Dx() <= w {
		w = b.Dx()
	}
	h := max(1, b.Dy()*w/b.Dx())
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	return dst
}

// encode writes img as JPEG for JPEG sources and PNG otherwise.
func encode(img image.Image, format string) ([]byte, string, error) {
	var buf bytes.Buffer
	if format == "jpeg" {
		err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
		return buf.Bytes(), "image/jpeg", err
	}
	err := png.Encode(&buf, img)
	return buf.Bytes(), "image/png", err
}
