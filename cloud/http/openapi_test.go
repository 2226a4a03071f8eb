package cloudhttp

import (
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/cloud/domain"
	"gopkg.in/yaml.v3"
)

type openAPIDoc struct {
	OpenAPI string                                 `yaml:"openapi"`
	Paths   map[string]map[string]openAPIOperation `yaml:"paths"`
}

type openAPIOperation struct {
	OperationID string           `yaml:"operationId"`
	Parameters  []map[string]any `yaml:"parameters"`
	Responses   map[string]any   `yaml:"responses"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

func parseOpenAPI(t *testing.T, data []byte) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	return doc
}

// documented returns "METHOD /path" for every operation in doc, sorted,
// checking that each has an operationId, responses and its path
// parameters declared.
func documented(t *testing.T, doc openAPIDoc) []string {
	t.Helper()
	var out []string
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if !slices.Contains(httpMethods, method) {
				continue // e.g. a path-level "parameters"
			}
			out = append(out, strings.ToUpper(method)+" "+path)
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: missing or duplicate operationId %q", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s %s: no responses", method, path)
			}
			for _, seg := range strings.Split(path, "/") {
				if !strings.HasPrefix(seg, "{") {
					continue
				}
				name := strings.Trim(seg, "{}")
				if !slices.ContainsFunc(op.Parameters, func(p map[string]any) bool { return p["name"] == name && p["in"] == "path" }) {
					t.Errorf("%s %s: path parameter %s not declared", method, path, name)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPICoversRoutes: the embedded document parses as OpenAPI 3 and
// documents exactly the /api/v1 routes Handler registers (no route left
// out, none documented that does not exist).
func TestOpenAPICoversRoutes(t *testing.T) {
	doc := parseOpenAPI(t, openAPI)
	docs := documented(t, doc)
	routes := (&Server{}).APIRoutes()
	if len(routes) < 10 {
		t.Fatalf("only %d API routes recorded: %v", len(routes), routes)
	}
	for _, r := range routes {
		if !slices.Contains(docs, r) {
			t.Errorf("route %q is not documented in openapi.yaml", r)
		}
	}
	for _, d := range docs {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.yaml documents %q, which is not a route", d)
		}
	}
	t.Logf("%d routes, all documented", len(routes))
}

// TestOpenAPIServedWithoutAuth: GET /api/v1/openapi.yaml answers 200 with
// the document and no bearer token, while an API route still needs one.
func TestOpenAPIServedWithoutAuth(t *testing.T) {
	s := &Server{cfg: Config{Token: "tok"}, log: slog.New(slog.DiscardHandler), token: sha256.Sum256([]byte("tok"))}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET openapi.yaml: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if doc := parseOpenAPI(t, body); len(doc.Paths) == 0 {
		t.Fatal("served document has no paths")
	}
	resp, err = http.Get(srv.URL + "/api/v1/gateways")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/gateways without token: %d, want 401", resp.StatusCode)
	}
}

// TestOpenAPIAlertSchema: the Alert schema names exactly the JSON fields of
// domain.Alert, and AlertOutcome exactly domain.AlertOutcomes.
func TestOpenAPIAlertSchema(t *testing.T) {
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `yaml:"properties"`
				Enum       []string       `yaml:"enum"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for k := range doc.Components.Schemas["Alert"].Properties {
		documented = append(documented, k)
	}
	var fields []string
	rt := reflect.TypeOf(domain.Alert{})
	for i := range rt.NumField() {
		if name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			fields = append(fields, name)
		}
	}
	slices.Sort(documented)
	slices.Sort(fields)
	if !slices.Equal(documented, fields) {
		t.Errorf("Alert schema properties %v, domain.Alert JSON fields %v", documented, fields)
	}
	var outcomes []string
	for _, o := range append(domain.AlertOutcomes, domain.OutcomeRecovered) { // recovered: set by the system only
		outcomes = append(outcomes, string(o))
	}
	if got := doc.Components.Schemas["AlertOutcome"].Enum; !slices.Equal(got, outcomes) {
		t.Errorf("AlertOutcome enum %v, domain.AlertOutcomes %v", got, outcomes)
	}
}
