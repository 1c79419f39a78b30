package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// signatureHeader carries the sender's signature, Stripe-style:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">". Several v1
// entries may be present while the sender rotates its secret.
const signatureHeader = "Webhook-Signature"

// defaultTolerance is how far the signed timestamp may be from now. It
// bounds replays: a captured request is refused once it is this old.
const defaultTolerance = 5 * time.Minute

// The ways a signature fails; all answer 400 (the sender's request is bad
// and a retry will not fix it).
var (
	errNoSignature  = errors.New("webhook: no " + signatureHeader + " header")
	errBadSignature = errors.New("webhook: malformed " + signatureHeader + " header; want t=<unix seconds>,v1=<hex HMAC-SHA256>")
	errMismatch     = errors.New("webhook: no v1 signature matches the body")
	errTooOld       = errors.New("webhook: signed timestamp outside the tolerance; a replay, or a clock far off")
)

// sign returns the signature header value for body at t with secret, as a
// sender computes it.
func sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// verify checks header against body and secret at now: the timestamp within
// tolerance, and one v1 signature equal (in constant time) to ours.
func verify(header string, body, secret []byte, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return errNoSignature
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return errBadSignature
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return errBadSignature
			}
			sigs = append(sigs, sig)
		}
		// Other schemes (v0, ...) are ignored, as Stripe's clients do.
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w (signed %s ago, tolerance %s)", errTooOld, d.Round(time.Second), tolerance)
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return errMismatch
}
