package sqlstore

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

const fundCols = `id, name_zh_cn, name_zh_hk, name_en, unit, created_at, created_by`

func scanFund(r rowScanner) (domain.CharityFund, error) {
	var f domain.CharityFund
	err := r.Scan(&f.ID, &f.Names.ZhCN, &f.Names.ZhHK, &f.Names.En, &f.Unit, Time(&f.CreatedAt), &f.CreatedBy)
	return f, notFound(err)
}

// CreateCharityFund implements domain.CharityStore.
func (s *Store) CreateCharityFund(ctx context.Context, f domain.CharityFund) error {
	if err := domain.ValidateCharityFund(f); err != nil {
		return s.errf("create charity fund: %w", err)
	}
	return s.inTx(ctx, "create charity fund "+f.ID, func(tx *Tx) error {
		var n int
		if err := tx.Row(ctx, `SELECT count(*) FROM org_units WHERE id = ?`, f.Unit).Scan(&n); err != nil {
			return s.errf("create charity fund %s: %w", f.ID, err)
		}
		if n == 0 {
			return s.errf("create charity fund %s: unit %s: %w", f.ID, f.Unit, domain.ErrNotFound)
		}
		if err := tx.Row(ctx, `SELECT count(*) FROM charity_funds WHERE id = ?`, f.ID).Scan(&n); err != nil {
			return s.errf("create charity fund %s: %w", f.ID, err)
		}
		if n > 0 {
			return s.errf("create charity fund %s: id exists: %w", f.ID, domain.ErrConflict)
		}
		_, err := tx.Exec(ctx, `INSERT INTO charity_funds (`+fundCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			f.ID, s.D.S(f.Names.ZhCN), s.D.S(f.Names.ZhHK), s.D.S(f.Names.En), f.Unit, s.D.T(f.CreatedAt), s.D.S(f.CreatedBy))
		if err != nil {
			if s.D.IsUnique(err) {
				return s.errf("create charity fund %s: id exists: %w", f.ID, domain.ErrConflict)
			}
			return s.errf("create charity fund %s: %w", f.ID, err)
		}
		return nil
	})
}

// CharityFund implements domain.CharityStore.
func (s *Store) CharityFund(ctx context.Context, id string) (domain.CharityFund, error) {
	f, err := scanFund(s.Conn().Row(ctx, `SELECT `+fundCols+` FROM charity_funds WHERE id = ?`, id))
	if err != nil {
		return f, s.errf("charity fund %s: %w", id, err)
	}
	return f, nil
}

// ListCharityFunds implements domain.CharityStore.
func (s *Store) ListCharityFunds(ctx context.Context) ([]domain.CharityFund, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.CharityFund, error) { return scanFund(r) },
		`SELECT `+fundCols+` FROM charity_funds ORDER BY id `+s.D.ByteOrder)
	if err != nil {
		return nil, s.errf("list charity funds: %w", err)
	}
	return out, nil
}

// CharityRows implements domain.CharityStore: one grouped query over the
// (layer, at) index of meal_funding, joined to the meal for its elder and
// day, then the elders' names from the cloud rosters.
func (s *Store) CharityRows(ctx context.Context, fund, scope string, from, to time.Time) ([]domain.CharityRow, map[string]string, error) {
	const voided = `CASE WHEN v.meal_event_id IS NULL THEN 0 ELSE 1 END`
	rows, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.CharityRow, error) {
		var x domain.CharityRow
		var void int64
		err := r.Scan(&x.Site, &x.ElderID, &x.Day, &void, &x.Meals, &x.Fen)
		x.Voided = void != 0
		return x, err
	}, `SELECT f.site, m.elder_id, m.day, `+voided+`, count(*), sum(f.fen)
		FROM meal_funding f JOIN meals m ON m.event_id = f.event_id
		LEFT JOIN meal_voids v ON v.meal_event_id = f.event_id
		WHERE f.layer = ?4 AND `+inScope("f.site")+` AND f.at >= ?2 AND f.at < ?3 AND m.decision <> 'refused'
		GROUP BY f.site, m.elder_id, m.day, `+voided+`
		ORDER BY 1, 2, 3, 4`, scope, s.D.T(from), s.D.T(to), s.D.S(fund))
	if err != nil {
		return nil, nil, s.errf("charity rows of %s: %w", fund, err)
	}
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.ElderID] = true
	}
	names := map[string]string{}
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(ids)), 200) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = s.D.S(id)
		}
		q := `SELECT elder_id, data FROM roster_elders WHERE elder_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ") +
			`) AND data <> '' ORDER BY removed, site`
		found, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) ([2]string, error) {
			var id, data string
			if err := r.Scan(&id, &data); err != nil {
				return [2]string{}, err
			}
			e, err := decodeElder(id, data)
			return [2]string{id, e.Name}, err
		}, q, args...)
		if err != nil {
			return nil, nil, s.errf("charity elders of %s: %w", fund, err)
		}
		for _, f := range found {
			if _, ok := names[f[0]]; !ok && f[1] != "" {
				names[f[0]] = f[1] // a current roster entry first (removed = false sorts first)
			}
		}
	}
	return rows, names, nil
}

const pubCols = `id, fund, month, unit, body, sha256, published_at, published_by`

func scanPublication(r rowScanner) (domain.CharityPublication, error) {
	var p domain.CharityPublication
	var body string
	err := r.Scan(&p.ID, &p.Fund, &p.Month, &p.Unit, &body, &p.SHA256, Time(&p.PublishedAt), &p.PublishedBy)
	p.Body = []byte(body)
	return p, notFound(err)
}

// AddCharityPublication implements domain.CharityStore.
func (s *Store) AddCharityPublication(ctx context.Context, p domain.CharityPublication) error {
	_, err := s.Conn().Exec(ctx, `INSERT INTO charity_publications (`+pubCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Fund, p.Month, p.Unit, s.D.S(string(p.Body)), p.SHA256, s.D.T(p.PublishedAt), s.D.S(p.PublishedBy))
	if err != nil {
		if s.D.IsUnique(err) {
			return s.errf("add charity publication %s: %w", p.ID, domain.ErrConflict)
		}
		return s.errf("add charity publication %s: %w", p.ID, err)
	}
	return nil
}

// CharityPublication implements domain.CharityStore.
func (s *Store) CharityPublication(ctx context.Context, id string) (domain.CharityPublication, error) {
	p, err := scanPublication(s.Conn().Row(ctx, `SELECT `+pubCols+` FROM charity_publications WHERE id = ?`, id))
	if err != nil {
		return p, s.errf("charity publication: %w", err) // no id: the public page's address is not logged
	}
	return p, nil
}

// ListCharityPublications implements domain.CharityStore.
func (s *Store) ListCharityPublications(ctx context.Context, fund string) ([]domain.CharityPublication, error) {
	out, err := queryAll(ctx, s.Conn(), func(r *sql.Rows) (domain.CharityPublication, error) { return scanPublication(r) },
		`SELECT `+pubCols+` FROM charity_publications WHERE ?1 = '' OR fund = ?1 ORDER BY published_at DESC, id`, fund)
	if err != nil {
		return nil, s.errf("list charity publications: %w", err)
	}
	return out, nil
}
