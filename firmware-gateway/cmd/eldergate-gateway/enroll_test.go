package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnrollCommand(t *testing.T) {
	var gotToken string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Token string }
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/enroll" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		gotToken = req.Token
		if req.Token != "tok-1" {
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"error":"enrollment token already used"}`))
			return
		}
		w.Write([]byte(`{"gateway_id":"gw-9","site":"s9","broker_url":"tcp://127.0.0.1:1883","username":"gw-9","password":"p-secret","ca_pem":""}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	var errOut bytes.Buffer
	if err := run(context.Background(), []string{"enroll", "--cloud", srv.URL, "--token", "tok-1", "--data", dir}, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	path := filepath.Join(dir, "credentials.yaml")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v; want mode 0600", fi, err)
	}
	data, _ := os.ReadFile(path)
	if gotToken != "tok-1" || !strings.Contains(string(data), "password: p-secret") || !strings.Contains(string(data), "gateway_id: gw-9") {
		t.Fatalf("token sent %q; file:\n%s", gotToken, data)
	}
	err = run(context.Background(), []string{"enroll", "--cloud", srv.URL, "--token", "tok-2", "--data", t.TempDir()}, &errOut)
	if err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("refused token: err = %v", err)
	}
	if err := run(context.Background(), []string{"enroll", "--token", "x", "--data", dir}, &errOut); err == nil {
		t.Fatal("no --cloud: no error")
	}
}
