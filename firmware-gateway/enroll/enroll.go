// Package enroll trades a one-time enrollment token for the gateway's
// broker credentials at the cloud.
package enroll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// Request is what `eldergate-gateway enroll` needs.
type Request struct {
	CloudURL string // base URL of the cloud, e.g. https://cloud.example; or an eldergate://enroll?cloud=...&token=... link
	Token    string // the one-time enrollment token (may be empty when CloudURL is a link carrying it)
	DataDir  string // where credentials.yaml (and broker-ca.pem) are written
	Client   *http.Client
}

// enrollAnswer mirrors the cloud's EnrollResponse (the gateway must not
// import the cloud).
type enrollAnswer struct {
	GatewayID string `json:"gateway_id"`
	Site      string `json:"site"`
	BrokerURL string `json:"broker_url"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	CAPEM     string `json:"ca_pem"`
	Error     string `json:"error"`
}

// ParseLink splits an eldergate://enroll?cloud=URL&token=T link.
func ParseLink(link string) (cloudURL, token string, err error) {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "eldergate" || (u.Host != "enroll" && u.Opaque != "enroll") {
		return "", "", fmt.Errorf("gateway: enroll: %q is not an eldergate://enroll link", link)
	}
	q := u.Query()
	if q.Get("cloud") == "" || q.Get("token") == "" {
		return "", "", fmt.Errorf("gateway: enroll: link lacks cloud or token")
	}
	return q.Get("cloud"), q.Get("token"), nil
}

// Enroll trades a one-time token for this gateway's broker credentials at
// the cloud and writes them into req.DataDir with mode 0600. It returns
// the credentials (password included) and the file's path.
func Enroll(ctx context.Context, req Request) (config.Credentials, string, error) {
	var none config.Credentials
	if strings.HasPrefix(req.CloudURL, "eldergate:") {
		c, t, err := ParseLink(req.CloudURL)
		if err != nil {
			return none, "", err
		}
		req.CloudURL = c
		if req.Token == "" {
			req.Token = t
		}
	}
	if req.Token == "" {
		return none, "", errors.New("gateway: enroll: no token")
	}
	if req.DataDir == "" {
		return none, "", errors.New("gateway: enroll: no data directory")
	}
	base, err := url.Parse(req.CloudURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return none, "", fmt.Errorf("gateway: enroll: cloud URL %q must be http(s)://host[:port]", req.CloudURL)
	}
	client := req.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	body, _ := json.Marshal(map[string]string{"token": req.Token})
	endpoint := strings.TrimRight(req.CloudURL, "/") + "/api/v1/enroll"
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return none, "", fmt.Errorf("gateway: enroll: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		return none, "", fmt.Errorf("gateway: enroll: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return none, "", fmt.Errorf("gateway: enroll: read answer: %w", err)
	}
	var a enrollAnswer
	jerr := json.Unmarshal(raw, &a)
	if resp.StatusCode != http.StatusOK {
		msg := a.Error
		if jerr != nil || msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		return none, "", fmt.Errorf("gateway: enroll: cloud refused (%d): %s", resp.StatusCode, msg)
	}
	if jerr != nil {
		return none, "", fmt.Errorf("gateway: enroll: bad answer: %w", jerr)
	}
	if a.GatewayID == "" || a.Username == "" || a.Password == "" || a.BrokerURL == "" {
		return none, "", errors.New("gateway: enroll: answer lacks gateway id, broker URL or credentials")
	}
	c := config.Credentials{GatewayID: a.GatewayID, Site: a.Site, BrokerURL: a.BrokerURL, Username: a.Username, Password: a.Password,
		CloudURL: strings.TrimRight(req.CloudURL, "/")}
	path, err := config.WriteCredentials(req.DataDir, c, a.CAPEM)
	if err != nil {
		return none, "", err
	}
	if a.CAPEM != "" {
		c.CAFile = config.BrokerCAFileName
	}
	return c, path, nil
}
