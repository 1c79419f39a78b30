package gcf

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{name: "execution id first", headers: map[string]string{"Function-Execution-Id": "exec-1", "X-Cloud-Trace-Context": "abc/1;o=1"}, want: "exec-1"},
		{name: "Cloud Run trace", headers: map[string]string{"X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1"}, want: "105445aa7843bc8bf206b12000100000"},
		{name: "W3C trace id", headers: map[string]string{"Traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "short traceparent ignored", headers: map[string]string{"Traceparent": "00-abc", "X-Request-Id": "r-1"}, want: "r-1"},
		{name: "none", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			assert.Equal(t, tt.want, requestID(h))
		})
	}
}
