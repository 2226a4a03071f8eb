package release

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
)

// Upload sends an artifact and its bundle to the cloud at baseURL
// (POST /api/v1/releases) with bearer token, streaming the artifact, and
// returns the stored release's id. A refusal is an error with the
// cloud's reason.
func Upload(ctx context.Context, client *http.Client, baseURL, token, artifactPath string, bundle []byte) (string, error) {
	f, err := os.Open(artifactPath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			bw, err := mw.CreateFormFile("bundle", "bundle"+BundleSuffix)
			if err != nil {
				return err
			}
			if _, err := bw.Write(bundle); err != nil {
				return err
			}
			aw, err := mw.CreateFormFile("artifact", "artifact")
			if err != nil {
				return err
			}
			if _, err := io.Copy(aw, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(baseURL, "/")+"/api/v1/releases", pr)
	if err != nil {
		pr.Close()
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var ans struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &ans)
	if resp.StatusCode != http.StatusCreated {
		if ans.Error == "" {
			ans.Error = strings.TrimSpace(string(body))
		}
		return "", fmt.Errorf("the cloud refused the release (%s): %s", resp.Status, ans.Error)
	}
	return ans.ID, nil
}
