package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/eldergate/eldergate"
)

// The preview of a roster import (issue 13, ADR 0025): what replacing a
// site's roster with a file's elders would do, before anything changes.
// The import removes no one unless the request carries the preview's
// token, which binds the site, the roster version the preview was made
// on, the elders it removes and the gateways whose local roster it
// replaces: a preview of an older roster cannot confirm a newer one.

// MaxPreviewList bounds each list of a preview; the counts go on.
const MaxPreviewList = 1000

// RosterPreview is the effect of a roster import on a site.
type RosterPreview struct {
	Site    string         `json:"site"`
	Version uint64         `json:"version"` // the site's roster version the preview was made on
	Before  int            `json:"before"`  // elders on the cloud's roster now
	After   int            `json:"after"`   // elders on it after the import
	Counts  PreviewCounts  `json:"counts"`
	Added   []PreviewElder `json:"added"`
	Changed []PreviewElder `json:"changed"`
	Removed []PreviewElder `json:"removed"`
	// Lose is how many elders the hall loses: the elders removed.
	Lose int `json:"lose"`
	// Gateways is what each gateway of the site runs now (its last
	// report) and whether the import replaces a local roster it runs.
	Gateways []PreviewGateway `json:"gateways"`
	// ConfirmNeeded: the import removes elders or replaces a gateway's
	// local roster, so it needs Token.
	ConfirmNeeded bool   `json:"confirm_needed"`
	Token         string `json:"token"`
}

// PreviewCounts counts the elders of a preview.
type PreviewCounts struct {
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Removed   int `json:"removed"`
	Unchanged int `json:"unchanged"`
}

// PreviewElder is one elder of a preview, the name masked.
type PreviewElder struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`             // eldergate.MaskName
	Fields []string `json:"fields,omitempty"` // changed: the fields that differ (JSON names of eldergate.RosterElder)
}

// PreviewGateway is a gateway of the site in a preview.
type PreviewGateway struct {
	GW       string                  `json:"gw"`
	Reported *eldergate.RosterReport `json:"reported"` // null: never reported
	// ReplacesLocal: the gateway runs its local seed (of Reported.Elders
	// elders), which the import's roster replaces.
	ReplacesLocal bool `json:"replaces_local"`
}

// ElderChanges returns the fields in which e differs from old once e
// carries old's credential states (CarryStates, as ReplaceRoster does):
// the JSON names of the fields, ordered; none when the import leaves the
// elder as it is.
func ElderChanges(e eldergate.RosterElder, old eldergate.RosterElder) ([]string, error) {
	e.Credentials = slices.Clone(e.Credentials)
	CarryStates(&e, old)
	ja, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	jb, err := json.Marshal(old)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(ja, jb) {
		return nil, nil // the usual case of a re-import: no field map to build
	}
	a, err := fieldsOf(ja)
	if err != nil {
		return nil, err
	}
	b, err := fieldsOf(jb)
	if err != nil {
		return nil, err
	}
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || string(w) != string(v) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// fieldsOf splits an elder's JSON into its fields.
func fieldsOf(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	return m, json.Unmarshal(b, &m)
}

// PreviewRoster computes the preview of replacing site's roster (version,
// current elders) with next, given the roster each gateway of the site
// runs (gateways: what GatewayRoster returns for each).
func PreviewRoster(site string, version uint64, current, next []eldergate.RosterElder, gateways []GatewayRoster) (RosterPreview, error) {
	p := RosterPreview{Site: site, Version: version, Before: len(current), After: len(next),
		Added: []PreviewElder{}, Changed: []PreviewElder{}, Removed: []PreviewElder{}, Gateways: []PreviewGateway{}}
	old := make(map[string]eldergate.RosterElder, len(current))
	for _, e := range current {
		old[e.ID] = e
	}
	seen := make(map[string]bool, len(next))
	for _, e := range next {
		seen[e.ID] = true
		o, ok := old[e.ID]
		if !ok {
			p.Counts.Added++
			p.Added = addListed(p.Added, PreviewElder{ID: e.ID, Name: eldergate.MaskName(e.Name)})
			continue
		}
		fields, err := ElderChanges(e, o)
		if err != nil {
			return p, fmt.Errorf("preview: elder %s: %w", e.ID, err)
		}
		if len(fields) == 0 {
			p.Counts.Unchanged++
			continue
		}
		p.Counts.Changed++
		p.Changed = addListed(p.Changed, PreviewElder{ID: e.ID, Name: eldergate.MaskName(e.Name), Fields: fields})
	}
	var removed []string
	for _, e := range current { // ordered by id
		if !seen[e.ID] {
			removed = append(removed, e.ID)
			p.Counts.Removed++
			p.Removed = addListed(p.Removed, PreviewElder{ID: e.ID, Name: eldergate.MaskName(e.Name)})
		}
	}
	p.Lose = p.Counts.Removed
	var local []string
	for _, g := range gateways {
		pg := PreviewGateway{GW: g.GW, Reported: g.Reported}
		if g.Reported != nil && g.Reported.Source == eldergate.RosterSourceLocal && g.Reported.Elders > 0 {
			pg.ReplacesLocal = true
			local = append(local, g.GW)
		}
		p.Gateways = append(p.Gateways, pg)
	}
	p.ConfirmNeeded = len(removed) > 0 || len(local) > 0
	p.Token = PreviewToken(site, version, removed, local)
	return p, nil
}

func addListed(l []PreviewElder, e PreviewElder) []PreviewElder {
	if len(l) < MaxPreviewList {
		l = append(l, e)
	}
	return l
}

// PreviewToken is the token that confirms an import's removals: the
// version the preview was made on and a digest of the site, the ids
// removed and the gateways whose local roster is replaced (each sorted).
// It is not a secret (the caller is already allowed to import): it
// proves the caller saw this very effect.
func PreviewToken(site string, version uint64, removed, local []string) string {
	removed, local = slices.Sorted(slices.Values(removed)), slices.Sorted(slices.Values(local))
	h := sha256.New()
	fmt.Fprintf(h, "roster-preview\x00%s\x00%d\x01%s\x01%s", site, version, strings.Join(removed, "\x00"), strings.Join(local, "\x00"))
	return fmt.Sprintf("v%d-%s", version, hex.EncodeToString(h.Sum(nil))[:32])
}
