package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// PutCareRule implements domain.CareStore.
func (s *Store) PutCareRule(ctx context.Context, unit string, body []byte, by string, at time.Time) error {
	if _, err := s.OrgUnit(ctx, unit); err != nil {
		return err
	}
	_, err := s.Conn().Exec(ctx, `INSERT INTO care_rules (unit, body, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (unit) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		unit, s.D.S(string(body)), s.D.T(at), s.D.S(by))
	if err != nil {
		return s.errf("put care rule of %s: %w", unit, err)
	}
	return nil
}

// CareRuleOf implements domain.CareStore.
func (s *Store) CareRuleOf(ctx context.Context, unit string) ([]byte, error) {
	var body string
	err := s.Conn().Row(ctx, `SELECT body FROM care_rules WHERE unit = ?`, unit).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.errf("care rule of %s: %w", unit, err)
	}
	return []byte(body), nil
}

// CareElders implements domain.CareStore.
func (s *Store) CareElders(ctx context.Context, scope string) ([]domain.CareElder, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.CareElder, error) {
		var site, id, data string
		if err := r.Scan(&site, &id, &data); err != nil {
			return domain.CareElder{}, err
		}
		e, err := decodeElder(id, data)
		if err != nil {
			return domain.CareElder{}, err
		}
		return domain.CareElder{ID: id, Name: e.Name, Site: site, Active: e.Active}, nil
	}, `SELECT site, elder_id, data FROM roster_elders WHERE removed = false AND `+inScope("site")+` ORDER BY site, elder_id`, scope)
	if err != nil {
		return nil, s.errf("care elders: %w", err)
	}
	return out, nil
}

// CareMealDays implements domain.CareStore.
func (s *Store) CareMealDays(ctx context.Context, scope string, since time.Time) ([]domain.CareMealDay, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.CareMealDay, error) {
		var d domain.CareMealDay
		err := r.Scan(&d.ElderID, &d.Site, &d.Day, &d.Meals, Time(&d.Last))
		return d, err
	}, `SELECT m.elder_id, m.site, m.day, count(*), max(m.at) FROM meals m
		WHERE m.at >= ?2 AND m.decision <> 'refused'
		AND m.elder_id IN (SELECT elder_id FROM roster_elders WHERE removed = false AND `+inScope("site")+`)
		GROUP BY m.elder_id, m.site, m.day ORDER BY m.elder_id, m.day, m.site`, scope, s.D.T(since))
	if err != nil {
		return nil, s.errf("care meal days: %w", err)
	}
	return out, nil
}

// AddCareVisit implements domain.CareStore.
func (s *Store) AddCareVisit(ctx context.Context, v domain.CareVisit) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO care_visits (id, elder_id, site, community, outcome, note, marked_by, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.ElderID, v.Site, v.Community, string(v.Outcome), s.D.S(v.Note), s.D.S(v.MarkedBy), s.D.T(v.At))
	if err != nil {
		if s.D.IsUnique(err) {
			return domain.ErrConflict
		}
		return s.errf("add care visit: %w", err)
	}
	return nil
}

// CareVisits implements domain.CareStore.
func (s *Store) CareVisits(ctx context.Context, scope string) ([]domain.CareVisit, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.CareVisit, error) {
		var v domain.CareVisit
		var outcome string
		err := r.Scan(&v.ID, &v.ElderID, &v.Site, &v.Community, &outcome, &v.Note, &v.MarkedBy, Time(&v.At))
		v.Outcome = domain.VisitOutcome(outcome)
		return v, err
	}, `SELECT id, elder_id, site, community, outcome, note, marked_by, at FROM care_visits
		WHERE `+inScope("site")+` ORDER BY at, id`, scope)
	if err != nil {
		return nil, s.errf("care visits: %w", err)
	}
	return out, nil
}
