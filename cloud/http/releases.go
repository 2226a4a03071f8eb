package cloudhttp

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/release"
)

// Releases and over-the-air updates (docs/adr/0030-releases-in-the-cloud.md).

// GatewayAuthenticator checks a gateway's id and device secret (its MQTT
// password), as the broker does.
type GatewayAuthenticator interface {
	AuthenticateGateway(ctx context.Context, id, secret string) bool
}

// MaxReleaseUpload bounds the multipart body of POST /api/v1/releases: an
// artifact of eldergate.MaxReleaseBytes and its bundle.
const MaxReleaseUpload = eldergate.MaxReleaseBytes + 2*release.MaxBundleBytes + 64<<10

// Transfers of release artifacts may take longer than the server's
// ordinary read and write timeouts (a gateway on a slow mobile link
// resumes with Range requests anyway).
const (
	releaseUploadTimeout   = 30 * time.Minute
	releaseDownloadTimeout = 60 * time.Minute
)

func (s *Server) releaseRoutes(mux *routeMux) {
	mux.HandleLimit("POST /api/v1/releases", MaxReleaseUpload, s.require(domain.RoleOperator, s.uploadRelease))
	mux.Handle("GET /api/v1/releases", s.require(domain.RoleViewer, s.listReleases))
	mux.Handle("GET /api/v1/releases/{id}", s.require(domain.RoleViewer, s.getRelease))
	mux.Handle("GET /api/v1/releases/{id}/artifact", s.gatewayOr(domain.RoleOperator, s.releaseArtifact))
	mux.Handle("POST /api/v1/gateways/{id}/update", s.require(domain.RoleOperator, s.startUpdate))
	mux.Handle("GET /api/v1/gateways/{id}/updates", s.require(domain.RoleViewer, s.listUpdates))
}

// ReleaseView is a release as the API lists it (without its manifest and
// signature bytes, which GET /api/v1/releases/{id} includes).
type ReleaseView struct {
	domain.Release
	Manifest  []byte `json:"manifest,omitempty"`
	Signature []byte `json:"signature,omitempty"`
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) {
	rs, err := s.cfg.Store.ListReleases(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]ReleaseView, len(rs))
	for i, v := range rs {
		out[i] = ReleaseView{Release: v}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request) {
	v, ok := s.release(w, r)
	if ok {
		writeJSON(w, http.StatusOK, v)
	}
}

// release answers 404 and false when there is no release {id}.
func (s *Server) release(w http.ResponseWriter, r *http.Request) (domain.Release, bool) {
	id := r.PathValue("id")
	v, err := s.cfg.Store.Release(r.Context(), id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no release "+id)
		return v, false
	case err != nil:
		s.internal(w, r, err)
		return v, false
	}
	return v, true
}

// uploadRelease takes a multipart body of two parts, "bundle" (the
// FILE.release.json `eldergate-cloud release sign` wrote) and "artifact"
// (the binary), verifies the signature with the configured release keys
// and the artifact's size and SHA-256 against the signed manifest, and
// keeps it under data_dir/releases/<sha256>.
func (s *Server) uploadRelease(w http.ResponseWriter, r *http.Request) {
	if len(s.cfg.ReleaseKeys) == 0 {
		writeError(w, http.StatusServiceUnavailable, "no release keys are configured (release_keys): the cloud cannot verify a release")
		return
	}
	if s.cfg.ReleaseDir == "" {
		writeError(w, http.StatusServiceUnavailable, "no data directory for release artifacts is configured (data_dir)")
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(releaseUploadTimeout))
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "body must be multipart/form-data with the parts bundle and artifact: "+err.Error())
		return
	}
	store := release.Artifacts{Dir: s.cfg.ReleaseDir}
	var bundle []byte
	var tmp *release.Temp
	defer func() {
		if tmp != nil {
			tmp.Discard()
		}
	}()
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.uploadError(w, err)
			return
		}
		switch p.FormName() {
		case "bundle":
			if bundle, err = io.ReadAll(io.LimitReader(p, release.MaxBundleBytes+1)); err != nil {
				s.uploadError(w, err)
				return
			}
		case "artifact":
			if tmp != nil {
				writeError(w, http.StatusBadRequest, "two artifact parts: upload one artifact at a time")
				return
			}
			if tmp, err = store.Receive(p); err != nil {
				s.uploadError(w, err)
				return
			}
		default:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown part %q: the parts are bundle and artifact", p.FormName()))
			return
		}
	}
	switch {
	case bundle == nil:
		writeError(w, http.StatusBadRequest, "no bundle part (the FILE.release.json that `eldergate-cloud release sign` wrote)")
		return
	case tmp == nil:
		writeError(w, http.StatusBadRequest, "no artifact part (the binary the bundle signs)")
		return
	}
	b, err := release.ParseBundle(bundle)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	m, err := release.Verify(s.cfg.ReleaseKeys, b, tmp.Digest)
	auditChange(r, "release", "", "", nil, map[string]any{"release": m.Release, "platform": m.Platform, "sha256": tmp.SHA256, "size": tmp.Size, "key_id": m.KeyID})
	if err != nil {
		writeError(w, http.StatusBadRequest, "release refused: "+err.Error())
		return
	}
	id, err := domain.RandomToken(9)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rel := domain.Release{ID: "rel-" + id, Release: m.Release, Version: m.Version, Platform: m.Platform, Artifact: m.Artifact,
		Size: m.Size, SHA256: m.SHA256, Manifest: b.Manifest, Signature: b.Signature, KeyID: m.KeyID,
		UploadedBy: configSetter(CallerOf(r.Context())), UploadedAt: s.cfg.Now().UTC()}
	created, err := tmp.Keep()
	tmp = nil
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if err := s.cfg.Store.CreateRelease(r.Context(), rel); err != nil {
		if created && !s.artifactReferenced(r.Context(), rel.SHA256) {
			store.Remove(rel.SHA256) // no row names it (a concurrent upload of the same file may have)
		}
		if errors.Is(err, domain.ErrConflict) {
			writeError(w, http.StatusConflict, fmt.Sprintf("release %s for %s, or this artifact (SHA-256 %s), was uploaded before", m.Release, m.Platform, m.SHA256))
			return
		}
		s.internal(w, r, err)
		return
	}
	auditChange(r, "release", rel.ID, "", nil, map[string]any{"release": m.Release, "version": m.Version, "platform": m.Platform, "sha256": m.SHA256, "size": m.Size, "key_id": m.KeyID})
	s.log.Info("http: release uploaded", "release", rel.ID, "name", m.Release, "platform", m.Platform, "sha256", m.SHA256)
	writeJSON(w, http.StatusCreated, ReleaseView{Release: rel})
}

// artifactReferenced reports whether a stored release is the artifact of
// SHA-256 sum (true when it cannot tell: the file is then kept).
func (s *Server) artifactReferenced(ctx context.Context, sum string) bool {
	rs, err := s.cfg.Store.ListReleases(ctx)
	if err != nil {
		return true
	}
	for _, v := range rs {
		if v.SHA256 == sum {
			return true
		}
	}
	return false
}

func (s *Server) uploadError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("upload larger than %d bytes", MaxReleaseUpload))
		return
	}
	writeError(w, http.StatusBadRequest, "upload: "+err.Error())
}

type gatewayKey struct{}

// gatewayOr lets a gateway through with HTTP basic auth (its id and
// device secret, checked as the broker checks them) and otherwise
// requires role as s.require does.
func (s *Server) gatewayOr(role domain.Role, next http.HandlerFunc) http.Handler {
	inner := s.require(role, next).(guarded)
	return guarded{role: role, h: func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok {
			inner.h(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if !s.authenticateGateway(r.Context(), id, secret) {
			w.Header().Set("WWW-Authenticate", `Basic realm="eldergate"`)
			writeError(w, http.StatusUnauthorized, "unknown gateway, wrong device secret or revoked gateway")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), gatewayKey{}, id)))
	}}
}

func (s *Server) authenticateGateway(ctx context.Context, id, secret string) bool {
	if eldergate.ValidateGatewayID(id) != nil || secret == "" || len(secret) > 72 {
		return false
	}
	if s.cfg.Gateways != nil {
		return s.cfg.Gateways.AuthenticateGateway(ctx, id, secret)
	}
	c, err := s.cfg.Store.GatewayCredential(ctx, id)
	return err == nil && c.RevokedAt == nil && c.SecretHash != "" && domain.VerifySecret(c.SecretHash, secret)
}

// releaseArtifact serves a release's artifact with Range requests: to a
// gateway of the release's platform, or to an operator.
func (s *Server) releaseArtifact(w http.ResponseWriter, r *http.Request) {
	rel, ok := s.release(w, r)
	if !ok {
		return
	}
	if gw, _ := r.Context().Value(gatewayKey{}).(string); gw != "" {
		platform, _, err := s.cfg.Store.GatewayPlatform(r.Context(), gw)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if platform != rel.Platform {
			writeError(w, http.StatusForbidden, fmt.Sprintf("release %s is built for %s, but gateway %s reported %s", rel.Release, rel.Platform, gw, orUnknown(platform)))
			return
		}
	}
	if s.cfg.ReleaseDir == "" {
		writeError(w, http.StatusServiceUnavailable, "no data directory for release artifacts is configured (data_dir)")
		return
	}
	f, err := release.Artifacts{Dir: s.cfg.ReleaseDir}.Open(rel.SHA256)
	if err != nil {
		s.internal(w, r, fmt.Errorf("release %s artifact: %w", rel.ID, err))
		return
	}
	defer f.Close()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(releaseDownloadTimeout))
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", rel.Artifact+"-"+rel.Version))
	h.Set("ETag", `"`+rel.SHA256+`"`)
	h.Set("X-Content-SHA256", rel.SHA256)
	http.ServeContent(w, r, "", rel.UploadedAt, f)
}

func orUnknown(p string) string {
	if p == "" {
		return "no platform"
	}
	return p
}

// StartUpdateRequest is the body of POST /api/v1/gateways/{id}/update.
type StartUpdateRequest struct {
	Release        string `json:"release"`
	HealthTimeoutS int    `json:"health_timeout_s,omitempty"`
}

// StartUpdateResponse answers it.
type StartUpdateResponse struct {
	CommandID string `json:"command_id"`
}

func (s *Server) startUpdate(w http.ResponseWriter, r *http.Request) {
	gw := r.PathValue("id")
	var req StartUpdateRequest
	if !decodeBody(w, r, &req) {
		return
	}
	cred, ok := s.visibleGateway(w, r, gw)
	if !ok {
		return
	}
	auditChange(r, "update", gw, cred.Site, nil, req)
	if req.Release == "" {
		writeJSON(w, http.StatusBadRequest, &release.StartError{Code: release.CodeNoRelease, Msg: "release: missing"})
		return
	}
	if req.HealthTimeoutS < 0 || req.HealthTimeoutS > 3600 {
		writeJSON(w, http.StatusBadRequest, &release.StartError{Code: release.CodeBadTimeout, Msg: "health_timeout_s: must be 0-3600 (0: the gateway's default)"})
		return
	}
	ctx := release.WithActor(r.Context(), configSetter(CallerOf(r.Context())))
	id, err := s.updater().StartUpdate(ctx, gw, req.Release, "", time.Duration(req.HealthTimeoutS)*time.Second)
	var se *release.StartError
	if errors.As(err, &se) {
		status := http.StatusConflict
		switch se.Code {
		case release.CodeNoGateway, release.CodeNoRelease:
			status = http.StatusNotFound
		case release.CodeBadTimeout:
			status = http.StatusBadRequest
		}
		writeJSON(w, status, se)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	auditChange(r, "update", id, cred.Site, nil, map[string]any{"gw": gw, "release": req.Release, "health_timeout_s": req.HealthTimeoutS})
	s.log.Info("http: update started", "gw", gw, "release", req.Release, "command", id)
	writeJSON(w, http.StatusAccepted, StartUpdateResponse{CommandID: id})
}

// updater is the configured Updater, else one over the server's store.
func (s *Server) updater() *release.Updater {
	if s.cfg.Updater != nil {
		return s.cfg.Updater
	}
	u := &release.Updater{Store: s.cfg.Store, Now: s.cfg.Now}
	if s.cfg.Commands != nil {
		u.Sender = s.cfg.Commands
	}
	return u
}

func (s *Server) listUpdates(w http.ResponseWriter, r *http.Request) {
	gw := r.PathValue("id")
	if !s.gatewayExists(w, r, gw) {
		return
	}
	us, err := s.cfg.Store.GatewayUpdates(r.Context(), gw)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, us)
}

// ParseReleaseKeys reads the configured release public keys (base64).
func ParseReleaseKeys(keys []string) ([]ed25519.PublicKey, error) {
	out := make([]ed25519.PublicKey, 0, len(keys))
	for i, k := range keys {
		pk, err := eldergate.ParseReleaseKey(k)
		if err != nil {
			return nil, fmt.Errorf("release_keys[%d]: %w", i, err)
		}
		out = append(out, pk)
	}
	return out, nil
}
