package voice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Handler serves GET /api/voice?lang=..&kind=..[&pay=FEN][&reason=CODE]
// [&left=week|month&left_count=N&left_fen=FEN] (ParseQuery): the WAV of the phrase, audio/wav, cacheable (the same
// query is always the same audio of a given software version), with an
// ETag and range requests. A malformed query is 400; without espeak-ng
// 503, a synthesis that fails or times out 503 too, with a JSON error.
func (s *Speaker) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := ParseQuery(r.URL.Query())
		if err != nil {
			fail(w, http.StatusBadRequest, err)
			return
		}
		clip, err := s.Render(r.Context(), p)
		if err != nil {
			if !errors.Is(err, ErrUnavailable) && !errors.Is(err, context.Canceled) {
				s.log.Warn("voice: render", "lang", p.Lang, "kind", p.Kind, "err", err)
			}
			fail(w, http.StatusServiceUnavailable, err)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("ETag", `"`+clip.Key+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(clip.Data))
	})
}

func fail(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
