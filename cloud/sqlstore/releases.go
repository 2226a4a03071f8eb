package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// Releases and the gateways' over-the-air updates (migration 0024,
// docs/adr/0030-releases-in-the-cloud.md).

const releaseCols = `id, name, version, platform, artifact, size, sha256, manifest, signature, key_id, uploaded_by, uploaded_at`

func scanRelease(r interface{ Scan(...any) error }) (domain.Release, error) {
	var v domain.Release
	err := r.Scan(&v.ID, &v.Release, &v.Version, &v.Platform, &v.Artifact, &v.Size, &v.SHA256, &v.Manifest, &v.Signature,
		&v.KeyID, &v.UploadedBy, Time(&v.UploadedAt))
	return v, err
}

// CreateRelease implements domain.Store.
func (s *Store) CreateRelease(ctx context.Context, r domain.Release) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO releases (`+releaseCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, s.D.S(r.Release), s.D.S(r.Version), r.Platform, r.Artifact, r.Size, r.SHA256, r.Manifest, r.Signature,
		r.KeyID, s.D.S(r.UploadedBy), s.D.T(r.UploadedAt))
	if err != nil && s.D.IsUnique(err) {
		return s.errf("release %s for %s: %w", r.Release, r.Platform, domain.ErrConflict)
	}
	if err != nil {
		return s.errf("release %s: %w", r.ID, err)
	}
	return nil
}

// ListReleases implements domain.Store.
func (s *Store) ListReleases(ctx context.Context) ([]domain.Release, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.Release, error) { return scanRelease(r) },
		`SELECT `+releaseCols+` FROM releases ORDER BY uploaded_at DESC, id DESC LIMIT ?`, domain.ListLimit)
	if err != nil {
		return nil, s.errf("list releases: %w", err)
	}
	return out, nil
}

// Release implements domain.Store.
func (s *Store) Release(ctx context.Context, id string) (domain.Release, error) {
	v, err := scanRelease(s.Conn().Row(ctx, `SELECT `+releaseCols+` FROM releases WHERE id = ?`, id))
	if err != nil {
		return v, s.errf("release %s: %w", id, notFound(err))
	}
	return v, nil
}

// GatewayPlatform implements domain.Store.
func (s *Store) GatewayPlatform(ctx context.Context, gw string) (platform, version string, err error) {
	err = s.Conn().Row(ctx, `SELECT platform, version FROM gateways WHERE id = ?`, gw).Scan(&platform, &version)
	if err != nil {
		return "", "", s.errf("gateway %s: %w", gw, notFound(err))
	}
	return platform, version, nil
}

// notFinished is the condition of an update that has not ended.
const notFinished = `state NOT IN ('committed', 'rolled_back', 'failed')`

const updateCols = `command_id, gw, site, COALESCE(release_id, ''), release_name, COALESCE(rollout_id, ''), state, code, reason,
	bytes, size, from_version, to_version, started_by, started_at, updated_at`

func scanUpdate(r interface{ Scan(...any) error }) (domain.GatewayUpdate, error) {
	var u domain.GatewayUpdate
	err := r.Scan(&u.CommandID, &u.GW, &u.Site, &u.ReleaseID, &u.Release, &u.Rollout, &u.State, &u.Code, &u.Reason,
		&u.Bytes, &u.Size, &u.FromVersion, &u.ToVersion, &u.StartedBy, Time(&u.StartedAt), Time(&u.UpdatedAt))
	return u, err
}

// nullString stores "" as NULL.
func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// StartGatewayUpdate implements domain.Store.
func (s *Store) StartGatewayUpdate(ctx context.Context, u domain.GatewayUpdate, c domain.Command, now time.Time) (domain.GatewayUpdate, error) {
	var running domain.GatewayUpdate
	err := s.inTx(ctx, "start update", func(tx *Tx) error {
		if err := tx.lock(ctx, "update:"+u.GW); err != nil {
			return s.errf("start update of %s: lock: %w", u.GW, err)
		}
		// An update whose ota command expired unanswered never began at
		// the gateway: it is closed so that another may start.
		if _, err := tx.Exec(ctx, `UPDATE gateway_updates SET state = ?1, code = ?2,
			reason = 'the gateway did not take the ota command before it expired', updated_at = ?3
			WHERE gw = ?4 AND state = ?5 AND command_id IN (SELECT id FROM commands
				WHERE gw = ?4 AND result_at IS NULL AND expires_at <= ?3)`,
			eldergate.UpdateFailed, domain.UpdateCodeExpired, s.D.T(now), u.GW, domain.UpdateQueued); err != nil {
			return s.errf("start update of %s: %w", u.GW, err)
		}
		r, err := scanUpdate(tx.Row(ctx, `SELECT `+updateCols+` FROM gateway_updates WHERE gw = ? AND `+notFinished, u.GW))
		if err == nil {
			running = r
			return s.errf("update %s of %s is not finished: %w", r.CommandID, u.GW, domain.ErrConflict)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return s.errf("start update of %s: %w", u.GW, err)
		}
		if err := s.queueCommand(ctx, tx.Conn, c); err != nil {
			return s.errf("start update: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO gateway_updates (command_id, gw, site, release_id, release_name, rollout_id, state,
			size, from_version, to_version, started_by, started_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, u.GW, s.D.S(u.Site), nullString(u.ReleaseID), s.D.S(u.Release), nullString(u.Rollout), domain.UpdateQueued,
			u.Size, s.D.S(u.FromVersion), s.D.S(u.ToVersion), s.D.S(u.StartedBy), s.D.T(u.StartedAt), s.D.T(u.StartedAt)); err != nil {
			return s.errf("start update of %s: %w", u.GW, err)
		}
		return nil
	})
	return running, err
}

// GatewayUpdates implements domain.Store.
func (s *Store) GatewayUpdates(ctx context.Context, gw string) ([]domain.GatewayUpdate, error) {
	us, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.GatewayUpdate, error) { return scanUpdate(r) },
		`SELECT `+updateCols+` FROM gateway_updates WHERE gw = ? ORDER BY started_at DESC, command_id DESC LIMIT ?`, gw, domain.ListLimit)
	if err != nil {
		return nil, s.errf("updates of %s: %w", gw, err)
	}
	if err := s.updateSteps(ctx, us, `u.gw = ?`, gw); err != nil {
		return nil, err
	}
	return us, nil
}

// GatewayUpdate implements domain.Store.
func (s *Store) GatewayUpdate(ctx context.Context, commandID string) (domain.GatewayUpdate, error) {
	u, err := scanUpdate(s.Conn().Row(ctx, `SELECT `+updateCols+` FROM gateway_updates WHERE command_id = ?`, commandID))
	if err != nil {
		return u, s.errf("update %s: %w", commandID, notFound(err))
	}
	us := []domain.GatewayUpdate{u}
	if err := s.updateSteps(ctx, us, `u.command_id = ?`, commandID); err != nil {
		return u, err
	}
	return us[0], nil
}

// updateSteps fills the steps of us, read with the condition where on
// gateway_updates u.
func (s *Store) updateSteps(ctx context.Context, us []domain.GatewayUpdate, where string, arg any) error {
	idx := make(map[string]int, len(us))
	for i := range us {
		us[i].Steps = []domain.UpdateStep{}
		idx[us[i].CommandID] = i
	}
	if len(us) == 0 {
		return nil
	}
	rows, err := s.Conn().Query(ctx, `SELECT t.command_id, t.event_id, t.state, t.code, t.reason, t.bytes, t.size, t.at, t.received_at
		FROM gateway_update_steps t JOIN gateway_updates u ON u.command_id = t.command_id
		WHERE `+where+` ORDER BY t.at, t.event_id`, arg)
	if err != nil {
		return s.errf("update steps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cmd string
		var st domain.UpdateStep
		if err := rows.Scan(&cmd, &st.EventID, &st.State, &st.Code, &st.Reason, &st.Bytes, &st.Size, Time(&st.At), Time(&st.ReceivedAt)); err != nil {
			return s.errf("update steps: %w", err)
		}
		if i, ok := idx[cmd]; ok {
			us[i].Steps = append(us[i].Steps, st)
		}
	}
	if err := rows.Err(); err != nil {
		return s.errf("update steps: %w", err)
	}
	return nil
}

// applyUpdateStep records one step of the update of command cmd of gw and
// moves the update to its state: a finished update stays finished, and a
// step older than the latest applied one only joins the history (events
// may arrive out of order). matched is false when gw has no such update.
func (s *Store) applyUpdateStep(ctx context.Context, c Conn, gw, cmd, stepID string, d eldergate.UpdateData, at, receivedAt time.Time) (bool, error) {
	var one int
	err := c.Row(ctx, `SELECT 1 FROM gateway_updates WHERE command_id = ? AND gw = ?`, cmd, gw).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.errf("update %s: %w", cmd, err)
	}
	n, err := c.Affected(ctx, `INSERT INTO gateway_update_steps (event_id, command_id, state, code, reason, bytes, size, at, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
		stepID, cmd, d.State, s.D.S(d.Code), s.D.S(d.Reason), d.Bytes, d.Size, s.D.T(at), s.D.T(receivedAt))
	if err != nil {
		return false, s.errf("update %s step: %w", cmd, err)
	}
	if n == 0 {
		return true, nil // this step was recorded before
	}
	if _, err := c.Exec(ctx, `UPDATE gateway_updates SET state = ?1, code = ?2, reason = ?3,
			bytes = CASE WHEN CAST(?4 AS bigint) > 0 THEN CAST(?4 AS bigint) ELSE bytes END,
			size = CASE WHEN CAST(?5 AS bigint) > 0 THEN CAST(?5 AS bigint) ELSE size END,
			from_version = CASE WHEN ?6 = '' THEN from_version ELSE ?6 END,
			to_version = CASE WHEN ?7 = '' THEN to_version ELSE ?7 END, updated_at = ?8
		WHERE command_id = ?9 AND `+notFinished+` AND (state = ?10 OR updated_at <= ?8 OR ?11)`,
		d.State, s.D.S(d.Code), s.D.S(d.Reason), d.Bytes, d.Size, s.D.S(d.FromVersion), s.D.S(d.ToVersion), s.D.T(at),
		cmd, domain.UpdateQueued, eldergate.UpdateTerminal(d.State)); err != nil {
		return false, s.errf("update %s: %w", cmd, err)
	}
	return true, nil
}

// RecordUpdates stores the steps of the fresh update events of one ingest
// transaction (IngestBatches of both engines), each once: the event id is
// the step's key. The ingester validated their data
// (eldergate.DecodeUpdateData); an event of an update its gateway does not
// have stays an event only.
func (s *Store) RecordUpdates(ctx context.Context, c Conn, events []*eldergate.Envelope, receivedAt time.Time) error {
	for _, e := range events {
		if e.Kind != eldergate.KindUpdate {
			continue
		}
		d, err := eldergate.DecodeUpdateData(e.Data)
		if err != nil {
			continue // validated at ingest: not reached
		}
		if _, err := s.applyUpdateStep(ctx, c, e.GW, d.CommandID, e.ID, d, e.At, receivedAt); err != nil {
			return err
		}
	}
	return nil
}

// FailUpdateCommand implements domain.Store.
func (s *Store) FailUpdateCommand(ctx context.Context, gw, commandID, errText string, at time.Time) (bool, error) {
	var matched bool
	err := s.inTx(ctx, "update command result", func(tx *Tx) error {
		if len(errText) > 1000 {
			errText = errText[:1000]
		}
		d := eldergate.UpdateData{CommandID: commandID, State: eldergate.UpdateFailed, Code: domain.UpdateCodeRefused, Reason: errText}
		var err error
		matched, err = s.applyUpdateStep(ctx, tx.Conn, gw, commandID, "cmdres:"+commandID, d, at, at)
		return err
	})
	return matched, err
}
