package azureparams_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/faasport/faasport/params"
	"github.com/faasport/faasport/params/azureparams"
)

func Example() {
	// A stand-in for a vault; in a function the client is
	// azsecrets.NewClient(vaultURL, cred, nil) with an azidentity credential.
	vault := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/tenant", resource="https://vault.azure.net"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"value":"s3cr3t","id":"https://%s/secrets/webhook-key/0a1b2c"}`, r.Host)
	}))
	defer vault.Close()
	client, err := azsecrets.NewClient(vault.URL, &fakeCredential{}, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: vault.Client()},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	secrets := params.New(azureparams.New(client))
	v, err := secrets.Value(context.Background(), params.Ref{Name: "webhook-key"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Secret, v.Version)
	// Output: [REDACTED] 0a1b2c
}
