package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/jackc/pgx/v5"
)

var base = time.Date(2025, 3, 4, 3, 30, 0, 0, time.UTC)

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// connect opens a plain connection to dsn, closed when the test ends.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	return c
}

// execAll runs the statements on c in order.
func execAll(t *testing.T, c *pgx.Conn, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := c.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestStore runs the shared suite against a real PostgreSQL, one fresh
// database per subtest.
func TestStore(t *testing.T) {
	pg := testenv.StartPostgres(t)
	storetest.Run(t, func() domain.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		dsn, err := pg.NewDatabase(ctx)
		if err != nil {
			panic(err) // newStore has no *testing.T of the subtest
		}
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			panic(err)
		}
		return s
	})
}

// TestMigrate: migrations run once (schema_version), survive reopening,
// and several processes opening one empty database at once do not race.
func TestMigrate(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dsn := pg.Database(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := postgres.Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent open: %v", err)
	}
	s := open(t, dsn)
	if err := s.RecordRejection(ctx, "gw-a", "r\x00eason", "", []byte{0, 0xff, 'x'}, base); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dsn)
	defer s.Close()
	rs, err := s.ListRejections(ctx, "")
	if err != nil || len(rs) != 1 || rs[0].Reason != "r\uFFFDeason" || !rs[0].At.Equal(base) || rs[0].At.Location() != time.UTC {
		t.Fatalf("after reopen: %+v, %v", rs, err)
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var versions []int32
	rows, _ := c.Query(ctx, `SELECT version FROM schema_version ORDER BY version`)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int32])
	if want := migrationVersions(t); err != nil || !slices.Equal(versions, want) {
		t.Fatalf("schema_version = %v, %v; want %v", versions, err, want)
	}
}

// TestLargeBatchCopy: a 5000-event batch (COPY into the stage) of which
// 1000 were stored before and 100 are repeated within the batch commits
// each event exactly once and acknowledges every id of the gateway.
func TestLargeBatchCopy(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dsn := pg.Database(t)
	s := open(t, dsn)
	defer s.Close()
	ctx := context.Background()
	const n = 5000
	batch := make([]eldergate.Envelope, 0, n+100)
	for i := range n {
		batch = append(batch, storetest.Meal(t, "gw-a", uint64(i+1), fmt.Sprintf("E%d", i), base.Add(time.Duration(i)*time.Millisecond)))
	}
	if _, err := s.IngestBatch(ctx, "gw-a", batch[:1000], base); err != nil {
		t.Fatal(err)
	}
	batch = append(batch, batch[2000:2100]...) // repeated within the batch
	start := time.Now()
	got, err := s.IngestBatch(ctx, "gw-a", batch, base.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("batch of %d events (1000 old, 100 repeated) committed in %v", len(batch), time.Since(start))
	if len(got) != len(batch) {
		t.Fatalf("acknowledged %d ids, want %d", len(got), len(batch))
	}
	if cnt, err := s.CountEvents(ctx); err != nil || cnt != n {
		t.Fatalf("CountEvents = %d, %v, want %d", cnt, err, n)
	}
	if st, err := s.GatewaySeq(ctx, "gw-a"); err != nil || st.Max != n || st.Gaps != 0 || st.Count != n {
		t.Fatalf("GatewaySeq = %+v, %v", st, err)
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var meals, fen int64
	if err := c.QueryRow(ctx, `SELECT count(*), sum(pay_fen) FROM meals`).Scan(&meals, &fen); err != nil {
		t.Fatal(err)
	}
	if meals != n || fen != n*700 {
		t.Fatalf("meals = %d paying %d fen, want %d paying %d", meals, fen, n, n*700)
	}
	mealsHaveEvents(t, dsn, n)
}

// TestConcurrentOverlappingBatches: eight writers send overlapping batches
// of the same 2000 events in different orders; every event is stored
// once, every writer gets every id acknowledged, and nothing deadlocks.
func TestConcurrentOverlappingBatches(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dsn := pg.Database(t)
	s := open(t, dsn)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 2000
	all := make([]eldergate.Envelope, n)
	for i := range all {
		all[i] = storetest.Meal(t, "gw-a", uint64(i+1), "E1", base)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			mine := slices.Clone(all)
			if w%2 == 1 {
				slices.Reverse(mine)
			}
			for i := 0; i < n; i += 250 {
				got, err := s.IngestBatch(ctx, "gw-a", mine[i:i+250], base)
				if err != nil {
					errs <- err
					return
				}
				if len(got) != 250 {
					errs <- fmt.Errorf("writer %d: %d acknowledged, want 250", w, len(got))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if cnt, err := s.CountEvents(ctx); err != nil || cnt != n {
		t.Fatalf("CountEvents = %d, %v, want %d", cnt, err, n)
	}
	mealsHaveEvents(t, dsn, n)
}

// mealsHaveEvents checks what the foreign key meals -> events checked
// before migration 0026: every meal row has its event row (the meal's
// gateway, site and time), and there are want meal rows.
func mealsHaveEvents(t *testing.T, dsn string, want int64) {
	t.Helper()
	c := connect(t, dsn)
	var meals, orphans int64
	if err := c.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
			SELECT 1 FROM events e WHERE e.id = m.event_id AND e.kind = 'meal' AND e.gw = m.gw AND e.site = m.site AND e.at = m.at))
		FROM meals m`).Scan(&meals, &orphans); err != nil {
		t.Fatal(err)
	}
	if meals != want || orphans != 0 {
		t.Fatalf("%d meal rows, %d without their event row; want %d and 0", meals, orphans, want)
	}
}

// TestMigrationCardTaps: migration 0023 copies the tap_refused audit
// events stored before it into card_taps (the JSON read with ->>), and
// only them.
func TestMigrationCardTaps(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dsn := pg.Database(t)
	ctx := context.Background()
	s := open(t, dsn)
	tap := storetest.CardTap(t, "gw-a", 1, eldergate.ReasonCardLost, "****1234", base)
	meal := storetest.Meal(t, "gw-a", 2, "E1", base.Add(time.Minute))
	if _, err := s.IngestBatch(ctx, "gw-a", []eldergate.Envelope{tap, meal}, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	execAll(t, connect(t, dsn), `DROP TABLE card_taps`, `DROP INDEX meals_decision_at`, `DROP INDEX meals_reason_at`,
		`DELETE FROM schema_version WHERE version = 23`)
	s = open(t, dsn)
	defer s.Close()
	rows, _, err := s.MealPage(ctx, domain.MealFilter{Limit: 10})
	if err != nil || len(rows) != 2 || rows[1].EventID != tap.ID || rows[1].Kind != domain.RowCard || rows[1].Card != "****1234" ||
		rows[1].Reason != eldergate.ReasonCardLost || !rows[1].At.Equal(base) || rows[0].Kind != domain.RowMeal {
		t.Fatalf("after the migration: %+v %v", rows, err)
	}
}

// TestMigrationIngestCopy: migration 0026 upgrades a database holding
// meals (the foreign key meals -> events and the index meals (site) as
// before it): both go, the rows stay, the list by site still reads
// meals (site, at), and ingest goes on storing each event once.
func TestMigrationIngestCopy(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dsn := pg.Database(t)
	ctx := context.Background()
	s := open(t, dsn)
	var first []eldergate.Envelope
	for i := range 300 {
		first = append(first, storetest.Meal(t, "gw-a", uint64(i+1), fmt.Sprintf("E%d", i%7), base.Add(time.Duration(i)*time.Second)))
	}
	if _, err := s.IngestBatch(ctx, "gw-a", first, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	c := connect(t, dsn)
	execAll(t, c, // the schema before 0026
		`ALTER TABLE meals ADD CONSTRAINT meals_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id)`,
		`CREATE INDEX meals_site ON meals (site)`,
		`DELETE FROM schema_version WHERE version = 26`)
	s = open(t, dsn)
	defer s.Close()
	var fks, idx int
	if err := c.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = 'meals'::regclass AND contype = 'f'
			AND confrelid = 'events'::regclass), (SELECT count(*) FROM pg_indexes WHERE indexname = 'meals_site')`).Scan(&fks, &idx); err != nil {
		t.Fatal(err)
	}
	if fks != 0 || idx != 0 {
		t.Fatalf("after 0026: %d foreign keys meals -> events, %d meals_site indexes; want 0 and 0", fks, idx)
	}
	second := append(slices.Clone(first[200:]), storetest.Meal(t, "gw-a", 301, "E1", base.Add(time.Hour)))
	got, err := s.IngestBatch(ctx, "gw-a", second, base.Add(2*time.Hour))
	if err != nil || len(got) != len(second) {
		t.Fatalf("ingest after 0026: %d acknowledged of %d, %v", len(got), len(second), err)
	}
	mealsHaveEvents(t, dsn, 301)
	// 301 rows: a sequential scan would win; off, as on a large table.
	if _, err := c.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, `EXPLAIN (COSTS OFF) SELECT event_id FROM meals WHERE site = 'site-gw-a' ORDER BY at DESC LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "meals_site_at") {
		t.Fatalf("the list of one site reads %q, want meals_site_at", plan)
	}
}

// TestCopyRaceFallsBack: an event stored by another transaction after the
// ingest's probe makes its COPY fail (unique violation); the ingest is
// redone with insert-if-absent, stores the other events once and
// acknowledges every id of the gateway.
func TestCopyRaceFallsBack(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dsn := pg.Database(t)
	s := open(t, dsn)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var batch []eldergate.Envelope // large enough to go by COPY
	for i := range 100 {
		batch = append(batch, storetest.Meal(t, "gw-a", uint64(i+1), fmt.Sprintf("E%d", i), base))
	}
	other, watch := connect(t, dsn), connect(t, dsn)
	// Another writer holds the second event, not committed yet: the probe
	// cannot see it, the COPY waits for it.
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := batch[50]
	if _, err := tx.Exec(ctx, `INSERT INTO events (id, gw, kind, site, seq, boot, at, clock, data, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $7)`, e.ID, e.GW, string(e.Kind), e.Site, int64(e.Seq), int64(e.Boot), e.At, e.Clock, string(e.Data)); err != nil {
		t.Fatal(err)
	}
	type result struct {
		ids []string
		err error
	}
	done := make(chan result, 1)
	go func() {
		ids, err := s.IngestBatch(ctx, "gw-a", batch, base.Add(time.Minute))
		done <- result{ids, err}
	}()
	for { // until the ingest waits on the other writer's row
		var waiting int
		if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE 'copy%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("ingest returned %v, %v before the other writer committed", r.ids, r.err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || len(r.ids) != len(batch) {
		t.Fatalf("IngestBatch = %d ids, %v; want the %d ids", len(r.ids), r.err, len(batch))
	}
	// The COPY met the committed row (it waited on it above), so it
	// failed: what is stored is the fallback's.
	var events, meals int64
	if err := watch.QueryRow(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM meals)`).Scan(&events, &meals); err != nil {
		t.Fatal(err)
	}
	if events != 100 || meals != 99 { // the other writer stored no meal row for its event
		t.Fatalf("%d events, %d meals; want 100 and 99", events, meals)
	}
}
