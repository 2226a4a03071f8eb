package update

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/atomicfile"
)

// NewClient returns the HTTPS client of the downloads: the CA bundle of
// caFile ("" : the system's roots), TLS 1.2 at least, bounded dial,
// handshake and response-header waits.
func NewClient(caFile string) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("update: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("update: ca_file %s: no PEM certificate in it", caFile)
		}
		tc.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("update: redirect to %s refused: https only", req.URL.Redacted())
		}
		if len(via) >= 5 {
			return errors.New("update: too many redirects")
		}
		return nil
	}}, nil
}

// failure is a download or verification problem that ends the update.
type failure struct{ code, reason string }

func (f *failure) Error() string { return f.code + ": " + f.reason }

// partPath is where the artifact of sha comes in.
func partPath(dir, sha string) string {
	return filepath.Join(dir, downloadDir, sha+".part")
}

// stallTimeout ends a download attempt that receives nothing for so long.
const stallTimeout = 60 * time.Second

func (m *Machine) stepDownload(ctx context.Context, st *State) StepResult {
	progressed, err := m.download(ctx, st)
	if err == nil {
		m.attempts = 0
		return m.enter(st, PhaseVerifying)
	}
	if ctx.Err() != nil {
		return StepResult{Phase: st.Phase, Wait: -1}
	}
	var f *failure
	if errors.As(err, &f) {
		return m.fail(st, f.code, f.reason)
	}
	if progressed {
		m.attempts = 0
	}
	m.attempts++
	if m.attempts >= m.c.MaxAttempts {
		return m.fail(st, CodeDownload, fmt.Sprintf("download failed %d times: %v", m.attempts, err))
	}
	wait := m.c.Backoff << (m.attempts - 1)
	if wait > m.c.RetryInterval {
		wait = m.c.RetryInterval
	}
	m.c.Log.Warn("update: download attempt failed, resuming later", "attempt", m.attempts, "wait", wait, "err", err)
	return StepResult{Phase: st.Phase, Wait: wait}
}

var contentRangeRE = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+|\*)$`)

// download fetches the rest of the artifact into its part file, resuming
// with a Range request from the part file's size. A *failure ends the
// update; another error is worth another attempt.
func (m *Machine) download(ctx context.Context, st *State) (progressed bool, err error) {
	path := partPath(m.c.Dir, st.SHA256)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	n := fi.Size()
	if n > st.Size { // not ours: start again
		if err := f.Truncate(0); err != nil {
			return false, err
		}
		n = 0
	}
	if n == st.Size {
		return false, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.URL, nil)
	if err != nil {
		return false, &failure{CodeDownload, fmt.Sprintf("artifact URL: %v", err)}
	}
	req.SetBasicAuth(m.c.GatewayID, m.c.Secret)
	if n > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", n))
		m.c.Log.Info("update: download resumed", "from", n, "size", st.Size)
	}
	resp, err := m.c.Client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		if n > 0 { // the server ignored the range: from the start
			if err := f.Truncate(0); err != nil {
				return false, err
			}
			n = 0
		}
	case http.StatusPartialContent:
		mm := contentRangeRE.FindStringSubmatch(resp.Header.Get("Content-Range"))
		if mm == nil {
			return false, fmt.Errorf("answer 206 with Content-Range %q", resp.Header.Get("Content-Range"))
		}
		if start, _ := strconv.ParseInt(mm[1], 10, 64); start != n {
			return false, fmt.Errorf("answer 206 from byte %d, asked from %d", start, n)
		}
		if total, err := strconv.ParseInt(mm[3], 10, 64); err == nil && total != st.Size {
			return false, &failure{CodeSize, fmt.Sprintf("the server's artifact is %d bytes, the signed manifest says %d", total, st.Size)}
		}
	case http.StatusRequestedRangeNotSatisfiable:
		return false, &failure{CodeSize, fmt.Sprintf("truncated download: the server has only %d of the %d bytes of the signed manifest", n, st.Size)}
	case http.StatusUnauthorized, http.StatusForbidden:
		return false, &failure{CodeDownload, fmt.Sprintf("the cloud refused this gateway's credentials for %s (HTTP %d)", st.URL, resp.StatusCode)}
	case http.StatusNotFound, http.StatusGone:
		return false, &failure{CodeDownload, fmt.Sprintf("no artifact at %s (HTTP %d)", st.URL, resp.StatusCode)}
	default:
		return false, fmt.Errorf("HTTP %d from %s", resp.StatusCode, st.URL)
	}
	if resp.ContentLength > 0 && n+resp.ContentLength > st.Size {
		return false, &failure{CodeSize, fmt.Sprintf("the server sends %d bytes, more than the %d of the signed manifest", n+resp.ContentLength, st.Size)}
	}
	if _, err := f.Seek(n, io.SeekStart); err != nil {
		return false, err
	}
	// A stalled server ends the attempt: the watchdog cancels the request
	// when no byte came for stallTimeout.
	stall := time.AfterFunc(stallTimeout, cancel)
	defer stall.Stop()
	buf := make([]byte, 64<<10)
	body := io.LimitReader(resp.Body, st.Size-n+1) // one byte more tells an oversized answer
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			stall.Reset(stallTimeout)
			if n+int64(k) > st.Size {
				return progressed, &failure{CodeSize, fmt.Sprintf("the server sent more than the %d bytes of the signed manifest", st.Size)}
			}
			if _, err := f.Write(buf[:k]); err != nil {
				return progressed, err
			}
			n += int64(k)
			progressed = true
			if decile(n, st.Size) > decile(st.ReportedBytes, st.Size) && n < st.Size {
				if err := f.Sync(); err != nil {
					return progressed, err
				}
				m.progress(ctx, st, n)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return progressed, rerr
		}
	}
	if err := f.Sync(); err != nil {
		return progressed, err
	}
	if n < st.Size {
		return progressed, fmt.Errorf("download ended at %d of %d bytes", n, st.Size)
	}
	return progressed, nil
}

func decile(n, size int64) int64 {
	if size <= 0 {
		return 0
	}
	return n * 10 / size
}

// progress reports the downloading state with n bytes (every tenth).
func (m *Machine) progress(ctx context.Context, st *State, n int64) {
	d := m.data(st, eldergate.UpdateDownloading)
	d.Bytes, d.Size = n, st.Size
	if err := m.c.Report(ctx, d); err != nil {
		m.c.Log.Warn("update: progress not reported", "err", err)
		return
	}
	st.ReportedBytes = n
	if err := m.saveLocked(st); err != nil {
		m.c.Log.Warn("update: progress not saved", "err", err)
	}
}

func (m *Machine) stepVerify(ctx context.Context, st *State) StepResult {
	if err := verifyFile(partPath(m.c.Dir, st.SHA256), st.Size, st.SHA256); err != nil {
		var f *failure
		if errors.As(err, &f) {
			return m.fail(st, f.code, f.reason)
		}
		return m.fail(st, CodeDownload, err.Error())
	}
	m.mu.Lock()
	err := m.reportOnce(ctx, st, eldergate.UpdateVerified)
	m.mu.Unlock()
	if err != nil {
		m.c.Log.Error("update: verified, report pending", "err", err)
		return StepResult{Phase: st.Phase, Wait: 5 * time.Second}
	}
	return m.stepGate(st)
}

// verifyFile checks the size and SHA-256 of the file at path.
func verifyFile(path string, size int64, sha string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if n != size {
		return &failure{CodeSize, fmt.Sprintf("the download is %d bytes, the signed manifest says %d", n, size)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return &failure{CodeHash, fmt.Sprintf("SHA-256 of the download %s does not match the signed manifest %s", got, sha)}
	}
	return nil
}

var unsafeRE = regexp.MustCompile(`[^A-Za-z0-9._+-]`)

// slotName is the directory of a version's slot: the version made safe
// for a file name, and the start of its SHA-256.
func slotName(version, sha string) string {
	v := strings.TrimLeft(unsafeRE.ReplaceAllString(version, "_"), ".")
	return v + "-" + sha[:12]
}

// install copies the verified download into slots/<slot>/eldergate-gateway
// (0755, synced, renamed into place, directory synced) and returns its
// path. It checks the copy's hash again.
func install(dir, part, version, sha string) (string, error) {
	slot := filepath.Join(dir, slotsDir, slotName(version, sha))
	if err := os.MkdirAll(slot, 0o700); err != nil {
		return "", err
	}
	dst := filepath.Join(slot, BinaryName)
	if err := verifyFile(dst, sizeOf(part), sha); err == nil { // installed before a kill
		return dst, nil
	}
	src, err := os.Open(part)
	if err != nil {
		return "", fmt.Errorf("update: install: %w", err)
	}
	defer src.Close()
	if err := atomicfile.WriteFrom(dst, src, 0o755); err != nil {
		return "", fmt.Errorf("update: install: %w", err)
	}
	if err := verifyFile(dst, sizeOf(part), sha); err != nil {
		return "", fmt.Errorf("update: install: the installed copy: %w", err)
	}
	return dst, nil
}

func sizeOf(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}
