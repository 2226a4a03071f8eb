package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// Events are filed under the site their gateway is registered at, never
// under a site an event merely names (DESIGN.md, "One tap, end to end";
// docs/adr/0010-events-filed-under-registered-site.md). An event naming
// another site is refused with a reason (acked as rejected, kept in the
// dead letters, counted by SiteMismatches); the gateway's other events are
// stored. A gateway with no registered site gets no ack at all: its events
// stay in its outbox until an operator registers it.

// SiteCacheTTL bounds how long an ingester trusts a gateway's registered
// site without reading it again. A gateway's birth also drops it, and an
// event that names another site than the cached one is checked against a
// fresh read before it is refused, so a re-registration takes effect at
// once for the new site and within SiteCacheTTL (or the next birth) for
// the old one.
const SiteCacheTTL = time.Minute

// errUnregistered: the gateway has no registered site.
var errUnregistered = errors.New("gateway is not registered at a site")

// siteCache is the registered site of each gateway, read from the store
// on first use and kept for SiteCacheTTL. Safe for concurrent use.
type siteCache struct {
	mu sync.Mutex
	m  map[string]siteEntry
}

type siteEntry struct {
	site string
	at   time.Time
}

// get returns the site of gw: from the cache unless fresh is set or the
// entry is older than SiteCacheTTL, else from the store (cached). cached
// reports whether it came from the cache.
func (c *siteCache) get(ctx context.Context, st Store, gw string, now time.Time, fresh bool) (site string, cached bool, err error) {
	if !fresh {
		c.mu.Lock()
		e, ok := c.m[gw]
		c.mu.Unlock()
		if ok && now.Sub(e.at) < SiteCacheTTL && !now.Before(e.at) {
			return e.site, true, nil
		}
	}
	cred, err := st.GatewayCredential(ctx, gw)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		c.forget(gw)
		return "", false, errUnregistered
	case err != nil:
		return "", false, fmt.Errorf("ingest: site of %s: %w", gw, err)
	case cred.Site == "":
		c.forget(gw)
		return "", false, errUnregistered
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]siteEntry{}
	}
	c.m[gw] = siteEntry{site: cred.Site, at: now}
	c.mu.Unlock()
	return cred.Site, false, nil
}

// forget drops gw's entry (its birth: it may have been re-registered).
func (c *siteCache) forget(gw string) {
	c.mu.Lock()
	delete(c.m, gw)
	c.mu.Unlock()
}

// fileUnderSite keeps in u.batch the events that name the site u's gateway
// is registered at and moves the others to u.rejected. It returns
// errUnregistered when the gateway has no registered site, or a store
// error; then u is left as it was.
func (in *Ingester) fileUnderSite(ctx context.Context, u *upMsg, now time.Time) error {
	if len(u.batch.Events) == 0 {
		return nil
	}
	site, cached, err := in.sites.get(ctx, in.cfg.Store, u.gw, now, false)
	if err != nil {
		return err
	}
	if cached && namesOtherSite(u.batch.Events, site) {
		// Refuse only on a fresh read: the gateway may just have been
		// registered at the site its events name.
		if site, _, err = in.sites.get(ctx, in.cfg.Store, u.gw, now, true); err != nil {
			return err
		}
	}
	if !namesOtherSite(u.batch.Events, site) {
		return nil
	}
	kept := make([]eldergate.Envelope, 0, len(u.batch.Events))
	for _, e := range u.batch.Events {
		if e.Site == site {
			kept = append(kept, e)
			continue
		}
		u.rejected = append(u.rejected, eldergate.Rejection{ID: e.ID,
			Reason: fmt.Sprintf("site: %q is not the site gateway %s is registered at", e.Site, u.gw)})
		in.siteMismatches.Add(1)
	}
	u.batch.Events = kept
	return nil
}

func namesOtherSite(events []eldergate.Envelope, site string) bool {
	for _, e := range events {
		if e.Site != site {
			return true
		}
	}
	return false
}

// SiteMismatches is the number of events this ingester refused because
// they named another site than the one their gateway is registered at.
func (in *Ingester) SiteMismatches() int64 { return in.siteMismatches.Load() }

// Unregistered is the number of up batches this ingester left
// unacknowledged because their gateway is not registered at a site.
func (in *Ingester) Unregistered() int64 { return in.unregistered.Load() }
