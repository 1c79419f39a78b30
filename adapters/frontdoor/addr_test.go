package frontdoor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenAddr(t *testing.T) {
	tests := []struct {
		name, addr, port, want, wantErr string
	}{
		{name: "defaults", want: ":8080"},
		{name: "PORT", port: "9000", want: ":9000"},
		{name: "addr wins", addr: "127.0.0.1:7000", port: "9000", want: "127.0.0.1:7000"},
		{name: "host only takes PORT", addr: "127.0.0.1", port: "9000", want: "127.0.0.1:9000"},
		{name: "host and colon takes PORT", addr: "127.0.0.1:", port: "9000", want: "127.0.0.1:9000"},
		{name: "IPv6 host", addr: "::1", port: "9000", want: "[::1]:9000"},
		{name: "host only, default port", addr: "localhost", want: "localhost:8080"},
		{name: "bad PORT", port: "80a", wantErr: `PORT "80a" is not a TCP port number`},
		{name: "PORT out of range", port: "70000", wantErr: "not a TCP port number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ListenAddr(tc.addr, tc.port)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestHeaderValueEncoding(t *testing.T) {
	tests := []struct{ name, decoded, encoded string }{
		{"plain", "abc-123/x", "abc-123/x"},
		{"space and quote", `a "b" c`, "a%20%22b%22%20c"},
		{"percent", "100%", "100%25"},
		{"unicode", "café ✓", "caf%C3%A9%20%E2%9C%93"},
		{"control", "a\tb", "a%09b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.encoded, encodeHeaderValue(tc.decoded))
			got, p := decodeHeaderValue("Ce-X", tc.encoded)
			require.Nil(t, p)
			assert.Equal(t, tc.decoded, got)
		})
	}
	got, p := decodeHeaderValue("Ce-X", "50% off %zz")
	require.Nil(t, p)
	assert.Equal(t, "50% off %zz", got, "a stray percent sign is kept")
	_, p = decodeHeaderValue("Ce-X", "%FF")
	require.NotNil(t, p)
	assert.Contains(t, p.Detail, "not valid UTF-8")
}

func TestMediaType(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"application/json": "application/json",
		"Application/CloudEvents+JSON; charset=UTF-8": "application/cloudevents+json",
		" text/plain ;q=1":                            "text/plain",
	} {
		assert.Equal(t, want, mediaType(in), in)
	}
	for in, want := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true, "a/b+c": true,
		"json": false, "/json": false, "application/": false, "a b/c": false, "a/b/c": false,
	} {
		assert.Equal(t, want, validMediaType(in), in)
	}
}
