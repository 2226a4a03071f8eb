package gateway

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/docs/policies"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/envelope"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/policy"
)

// The self-test's hall: Xiangzhou, Zhuhai; a local elder born in 1950
// (docs/policies/examples/elder.json) with one card, weighing a 500 g
// lunch on 2025-03-03.
const (
	selfTestCard = "04A1B2C3"
	selfTestSite = "selftest"
)

var (
	selfTestElder = eldergate.Elder{ID: "H1", Name: "张三明", Card: selfTestCard, Birth: "1950-05-05", Active: true,
		HukouLocal: true, HomeCity: "440400", HomeDistrict: "440402", HomeStreet: "440402001"}
	selfTestPlace = policy.Place{City: "440400", District: "440402", Street: "440402005"}
	selfTestLunch = time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC) // 12:00 Asia/Shanghai
)

// SelfTest checks, in dir (an empty directory of its own), that this
// build can serve a hall: it opens a fresh store with the real migrations,
// stores a roster, decides two meals of one elder with the Zhuhai policy
// through the same desk as a card tap (a weighed lunch approved with 12.60
// to pay, committed with its outbox row and read back; a dinner the same
// day at full price, which reads the first meal's usage counters back),
// and reopens the store. It prints one line per check to out and stops
// at the first failure, which it returns naming the check. It is what
// `eldergate-gateway selftest` runs, and what the cross-build runs on
// each ARM binary under qemu: cgo SQLite, the C library, time zones and
// the policy engine on the target's instruction set.
func SelfTest(ctx context.Context, dir string, out io.Writer) error {
	return selfTest(ctx, dir, out, policies.Zhuhai2024)
}

func selfTest(ctx context.Context, dir string, out io.Writer, policyDoc []byte) error {
	st := &selfTestRun{dir: dir}
	defer st.close()
	checks := []struct {
		name string
		run  func(context.Context) (string, error)
	}{
		{"store", st.open},
		{"roster", st.roster},
		{"policy", func(context.Context) (string, error) { return st.policy(policyDoc) }},
		{"meal", st.meal},
		{"read back", st.readBack},
		{"usage", st.usage},
		{"reopen", st.reopen},
	}
	for _, c := range checks {
		detail, err := c.run(ctx)
		if err != nil {
			fmt.Fprintf(out, "FAIL %s: %v\n", c.name, err)
			return fmt.Errorf("selftest: %s: %w", c.name, err)
		}
		fmt.Fprintf(out, "ok   %s: %s\n", c.name, detail)
	}
	return nil
}

// selfTestRun is the state the checks pass on, in order.
type selfTestRun struct {
	dir    string
	store  *sqlite.Store
	pol    *policy.Policy
	desk   *tapdesk.Desk
	lunch  tapdesk.TapEvent
	dinner tapdesk.TapEvent
}

func (s *selfTestRun) close() {
	if s.store != nil {
		s.store.Close()
		s.store = nil
	}
}

func (s *selfTestRun) path() string { return filepath.Join(s.dir, "gateway.db") }

func (s *selfTestRun) open(ctx context.Context) (string, error) {
	st, err := sqlite.Open(ctx, s.path())
	if err != nil {
		return "", err
	}
	s.store = st
	if st.Boot() != 1 {
		return "", fmt.Errorf("%s is not a fresh store: boot %d, want 1", s.path(), st.Boot())
	}
	if err := st.Ping(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("opened a fresh SQLite store at %s, migrations applied", s.path()), nil
}

func (s *selfTestRun) roster(ctx context.Context) (string, error) {
	key := make([]byte, 32)
	rand.Read(key)
	if err := s.store.SetRosterKey(ctx, key); err != nil {
		return "", err
	}
	u := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: []eldergate.RosterElder{{Elder: selfTestElder}}}
	if err := u.Validate(); err != nil { // folds the card into the credentials
		return "", err
	}
	res, err := s.store.ApplyRoster(ctx, u, selfTestLunch)
	if err != nil {
		return "", err
	}
	if res.Elders != 1 {
		return "", fmt.Errorf("the roster has %d elders after storing one", res.Elders)
	}
	return "stored a roster of one elder with one card", nil
}

func (s *selfTestRun) policy(doc []byte) (string, error) {
	p, err := policy.Parse(doc)
	if err != nil {
		return "", err
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil {
		return "", fmt.Errorf("time zone of %s: %w", p.Version, err)
	}
	s.pol = p
	disk := tapdesk.NewDiskGuard(tapdesk.DiskConfig{Dir: s.dir}, nil)
	disk.Start()
	s.desk = tapdesk.New(tapdesk.Config{
		Store: s.store, Clock: selfTestNop{}, Envelopes: envelope.Maker{GW: "gw-selftest", Site: selfTestSite, Boot: s.store.Boot()},
		Publisher: selfTestNop{}, Metrics: selfTestNop{}, Disk: disk,
		Site: policy.Site{ID: selfTestSite, Place: selfTestPlace}, Policy: *p,
	})
	return fmt.Sprintf("parsed policy %s (%s)", p.Version, p.TimeZone), nil
}

// tap decides and commits one meal of the self-test's elder at at.
func (s *selfTestRun) tap(ctx context.Context, at time.Time) tapdesk.TapEvent {
	return s.desk.Tap(ctx, card.Read{Credential: selfTestCard, Reader: "selftest", At: at}, at, nil)
}

func (s *selfTestRun) meal(ctx context.Context) (string, error) {
	s.desk.Weigh(scale.Weight{Grams: 500, State: scale.Stable})
	ev := s.tap(ctx, selfTestLunch)
	s.lunch = ev
	if ev.Decision != eldergate.DecisionApproved || ev.PriceFen != 2000 || ev.PayFen != 1260 || ev.EventID == "" {
		return "", fmt.Errorf("a 500 g lunch was %s (%s) with %s to pay of %s, want approved with 12.60 to pay of 20.00",
			ev.Decision, ev.Reason, ev.PayFen, ev.PriceFen)
	}
	return fmt.Sprintf("a 500 g lunch at %s approved and committed: %s − %s − %s = %s to pay",
		local(ev.At, s.pol.TimeZone), ev.PriceFen, ev.SubsidyFen, ev.DiscountFen, ev.PayFen), nil
}

func (s *selfTestRun) readBack(ctx context.Context) (string, error) {
	rows, err := s.store.Outbox(ctx)
	if err != nil {
		return "", err
	}
	if len(rows) != 1 || rows[0].ID != s.lunch.EventID || rows[0].Kind != eldergate.KindMeal {
		return "", fmt.Errorf("the outbox holds %d rows, want the lunch's meal event %s alone", len(rows), s.lunch.EventID)
	}
	var env eldergate.Envelope
	if err := json.Unmarshal(rows[0].Payload, &env); err != nil {
		return "", fmt.Errorf("the outbox row: %w", err)
	}
	var m eldergate.MealData
	if err := json.Unmarshal(env.Data, &m); err != nil {
		return "", fmt.Errorf("the outbox row's meal: %w", err)
	}
	if m.ElderID != selfTestElder.ID || m.PayFen != 1260 || m.PolicyVer != s.pol.Version {
		return "", fmt.Errorf("the outbox row's meal is of %q with %s to pay under %q, want %s, 12.60, %s",
			m.ElderID, m.PayFen, m.PolicyVer, selfTestElder.ID, s.pol.Version)
	}
	meals, err := s.store.RecentMeals(ctx, time.Time{}, 10)
	if err != nil {
		return "", err
	}
	if len(meals) != 1 || meals[0].EventID != s.lunch.EventID || meals[0].PayFen != 1260 {
		return "", fmt.Errorf("the meals table holds %d meals, want the lunch with 12.60 to pay", len(meals))
	}
	return fmt.Sprintf("the outbox row (seq %d) and the meal row read back", rows[0].Seq), nil
}

func (s *selfTestRun) usage(ctx context.Context) (string, error) {
	ev := s.tap(ctx, selfTestLunch.Add(6*time.Hour)) // 18:00, the same day
	s.dinner = ev
	if ev.Decision != eldergate.DecisionFullPay || ev.PayFen != 2000 {
		return "", fmt.Errorf("a dinner after the subsidised lunch was %s (%s) with %s to pay, want full_pay with 20.00: the lunch's usage was not read back",
			ev.Decision, ev.Reason, ev.PayFen)
	}
	return fmt.Sprintf("a dinner the same day reads the lunch's usage back: full pay, %s", ev.PayFen), nil
}

func (s *selfTestRun) reopen(ctx context.Context) (string, error) {
	if err := s.store.Close(); err != nil {
		s.store = nil
		return "", err
	}
	s.store = nil
	st, err := sqlite.Open(ctx, s.path())
	if err != nil {
		return "", err
	}
	s.store = st
	rows, err := st.Outbox(ctx)
	if err != nil {
		return "", err
	}
	if st.Boot() != 2 || len(rows) != 2 || rows[0].ID != s.lunch.EventID || rows[1].ID != s.dinner.EventID {
		return "", errors.New("the store reopened without the two committed meals (or not as its second boot)")
	}
	return "the store reopens with both meals (boot 2)", nil
}

func local(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return t.UTC().Format("2006-01-02 15:04 (UTC)")
	}
	return t.In(loc).Format("2006-01-02 15:04") + " (" + zone + ")"
}

// selfTestNop is the desk's clock, kiosk and metrics in the self-test:
// times pass as given, nothing is shown or counted.
type selfTestNop struct{}

func (selfTestNop) Stamp(t time.Time) (time.Time, string) { return t, eldergate.ClockSynced }
func (selfTestNop) Publish(string, any)                   {}
func (selfTestNop) Tap(string, string)                    {}
func (selfTestNop) TapSeconds(float64)                    {}
