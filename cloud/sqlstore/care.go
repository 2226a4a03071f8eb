package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
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

// CareLastDays implements domain.CareStore: max(day) per elder is a seek
// backwards on meals_elder_day, so the cost grows with the roster, not
// with the meals.
func (s *Store) CareLastDays(ctx context.Context, scope string) (map[string]string, error) {
	type last struct{ id, day string }
	rows, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (last, error) {
		var l last
		var day sql.NullString
		err := r.Scan(&l.id, &day)
		l.day = day.String
		return l, err
	}, `SELECT e.elder_id, (SELECT max(m.day) FROM meals m WHERE m.elder_id = e.elder_id AND m.decision <> 'refused')
		FROM (SELECT DISTINCT elder_id FROM roster_elders WHERE removed = false AND `+inScope("site")+`) e`, scope)
	if err != nil {
		return nil, s.errf("care last days: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, l := range rows {
		if l.day != "" {
			out[l.id] = l.day
		}
	}
	return out, nil
}

// careChunk is the number of elders of one CareMealDays query (the list
// is padded to it, so that the statement is always the same).
const careChunk = 100

// CareMealDays implements domain.CareStore.
func (s *Store) CareMealDays(ctx context.Context, elders []string, from, to string) ([]domain.CareMealDay, error) {
	var out []domain.CareMealDay
	marks := strings.TrimSuffix(strings.Repeat("?, ", careChunk), ", ")
	query := `SELECT m.elder_id, m.site, m.day, count(*), max(m.at) FROM meals m
		WHERE m.elder_id IN (` + marks + `) AND m.day >= ? AND m.day <= ? AND m.decision <> 'refused'
		GROUP BY m.elder_id, m.site, m.day ORDER BY m.elder_id, m.day, m.site`
	for i := 0; i < len(elders); i += careChunk {
		chunk := elders[i:min(i+careChunk, len(elders))]
		args := make([]any, 0, careChunk+2)
		for j := 0; j < careChunk; j++ {
			args = append(args, chunk[min(j, len(chunk)-1)])
		}
		args = append(args, from, to)
		rows, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.CareMealDay, error) {
			var d domain.CareMealDay
			err := r.Scan(&d.ElderID, &d.Site, &d.Day, &d.Meals, Time(&d.Last))
			return d, err
		}, query, args...)
		if err != nil {
			return nil, s.errf("care meal days: %w", err)
		}
		out = append(out, rows...)
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
