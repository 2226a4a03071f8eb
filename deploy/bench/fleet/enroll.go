package fleet

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	"github.com/eldergate/eldergate/deploy/loadgen"
)

// api calls the cloud's API with the admin token and decodes a JSON
// answer into out (when not nil); an answer other than want is an error
// with its body.
func api(ctx context.Context, base, token, method, path, ctype string, body []byte, want int, out any) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b[:min(len(b), 500)]))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return b, nil
}

// createSite creates a district, street, community and site (the site
// the fleet is registered at) and returns the site's id.
func createSite(ctx context.Context, base, token string) (string, error) {
	units := []struct{ id, parent, level string }{
		{"d-fleet", "", "district"}, {"st-fleet", "d-fleet", "street"}, {"c-fleet", "st-fleet", "community"}, {"site-fleet", "c-fleet", "site"},
	}
	for _, u := range units {
		body, _ := json.Marshal(map[string]string{"id": u.id, "parent": u.parent, "level": u.level, "name": u.id})
		if _, err := api(ctx, base, token, "POST", "/api/v1/org", "application/json", body, http.StatusCreated, nil); err != nil {
			return "", err
		}
	}
	return "site-fleet", nil
}

// enrollFleet is what an operator does for a new district: one bulk
// creation (POST /api/v1/gateways/bulk?format=csv with the CSV of ids and
// sites), then every gateway enrolls with its token (POST
// /api/v1/enroll, `workers` at once, as gateways coming up in the field
// would) and gets its own broker credentials.
func enrollFleet(ctx context.Context, base, token, site string, ids []string, workers int) ([]loadgen.Gateway, error) {
	var in strings.Builder
	in.WriteString("id,site\n")
	for _, id := range ids {
		fmt.Fprintf(&in, "%s,%s\n", id, site)
	}
	out, err := api(ctx, base, token, "POST", "/api/v1/gateways/bulk?format=csv", "text/csv", []byte(in.String()), http.StatusCreated, nil)
	if err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("tokens CSV: %w", err)
	}
	if len(recs) != len(ids)+1 {
		return nil, fmt.Errorf("tokens CSV: %d rows for %d gateways", len(recs)-1, len(ids))
	}
	gws := make([]loadgen.Gateway, len(ids))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rec := recs[i+1]
				body, _ := json.Marshal(cloudhttp.EnrollRequest{Token: rec[3]})
				var res cloudhttp.EnrollResponse
				if _, err := api(ctx, base, "", "POST", "/api/v1/enroll", "application/json", body, http.StatusOK, &res); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("enroll %s: %w", rec[0], err)
					}
					mu.Unlock()
					continue
				}
				gws[i] = loadgen.Gateway{ID: res.GatewayID, Site: res.Site, User: res.Username, Pass: res.Password}
			}
		}()
	}
	for i := range ids {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return gws, firstErr
}
