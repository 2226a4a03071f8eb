package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/notify"
)

// Reminders and escalation (DESIGN.md, "One alarm, end to end"): an
// emergency alert that nobody acknowledges climbs the organisation tree,
// site → community → street → district, each level with its own times,
// on-duty hours and channels (AlarmSettings). PlanEscalation is the rule,
// with the time passed in; the escalation runner (cloud/alarm) calls it
// for every alert that is due and carries out what it says.

// AlarmSettings is how one org unit takes alarms.
type AlarmSettings struct {
	// RemindAfter: unacknowledged this long at this level → a reminder to
	// the same level, again every RemindAfter; 0 = no reminder.
	RemindAfter Seconds `json:"remind_after_s"`
	// EscalateAfter: unacknowledged this long at this level → the next
	// level up; 0 = the alarm stays here (the district's 24-hour desk).
	EscalateAfter Seconds `json:"escalate_after_s"`
	// OnDuty lists when the level takes calls, in TimeZone; empty =
	// always (a 24-hour desk). A level off duty is skipped.
	OnDuty []Shift `json:"on_duty,omitempty"`
	// TimeZone of OnDuty (IANA name); default DefaultTimeZone.
	TimeZone string `json:"time_zone,omitempty"`
	// Channels are where the level's notifications go.
	Channels []notify.Channel `json:"channels,omitempty"`

	loc *time.Location
}

// Seconds is a duration in whole seconds, as settings are written.
type Seconds int

// D returns s as a time.Duration.
func (s Seconds) D() time.Duration { return time.Duration(s) * time.Second }

// DefaultTimeZone is the zone of settings that name none.
const DefaultTimeZone = "Asia/Shanghai"

// Shift is a span of on-duty hours on some days of the week: Days as
// "daily", "mon-fri" or "mon,wed,sat" (ranges and lists mix); From and To
// as "HH:MM", To before From meaning over midnight (22:00-06:00 belongs to
// the day it starts on).
type Shift struct {
	Days string `json:"days"`
	From string `json:"from"`
	To   string `json:"to"`

	days     [7]bool
	from, to int // minutes of the day
}

// DefaultAlarmSettings are the times of a level with no settings of its
// own: reminders every minute, escalation after 2 minutes at a site, 3 at
// a community, 5 at a street; the district keeps it (24-hour desk).
func DefaultAlarmSettings(level string) AlarmSettings {
	s := AlarmSettings{RemindAfter: 60, TimeZone: DefaultTimeZone}
	switch level {
	case LevelSite:
		s.EscalateAfter = 120
	case LevelCommunity:
		s.EscalateAfter = 180
	case LevelStreet:
		s.EscalateAfter = 300
	default:
		s.RemindAfter = 120
	}
	s.loc, _ = time.LoadLocation(s.TimeZone)
	return s
}

// MaxAlarmSettingsBytes bounds a settings document.
const MaxAlarmSettingsBytes = 64 << 10

// ParseAlarmSettings reads and checks the settings document (JSON) of a
// unit of level: a field it leaves out keeps DefaultAlarmSettings(level)
// (an explicit 0 turns reminders or escalation off). Errors name the
// field and wrap ErrInvalid.
func ParseAlarmSettings(level string, b []byte) (AlarmSettings, error) {
	s := DefaultAlarmSettings(level)
	if len(b) > MaxAlarmSettingsBytes {
		return s, fmt.Errorf("alarm settings: %d bytes, more than %d: %w", len(b), MaxAlarmSettingsBytes, ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return AlarmSettings{}, fmt.Errorf("alarm settings: not valid JSON of the settings shape: %v: %w", err, ErrInvalid)
	}
	if err := s.check(); err != nil {
		return AlarmSettings{}, err
	}
	return s, nil
}

const maxWait Seconds = 24 * 3600

func (s *AlarmSettings) check() error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("alarm settings: %s: %s: %w", field, fmt.Sprintf(format, a...), ErrInvalid)
	}
	if s.RemindAfter < 0 || s.RemindAfter > maxWait || s.RemindAfter > 0 && s.RemindAfter < 10 {
		return bad("remind_after_s", "%d is not 0 or 10-%d seconds", s.RemindAfter, maxWait)
	}
	if s.EscalateAfter < 0 || s.EscalateAfter > maxWait || s.EscalateAfter > 0 && s.EscalateAfter < 10 {
		return bad("escalate_after_s", "%d is not 0 or 10-%d seconds", s.EscalateAfter, maxWait)
	}
	if s.TimeZone == "" {
		s.TimeZone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return bad("time_zone", "%q is not an IANA time zone", s.TimeZone)
	}
	s.loc = loc
	if len(s.OnDuty) > 28 {
		return bad("on_duty", "more than 28 shifts")
	}
	for i := range s.OnDuty {
		if err := s.OnDuty[i].parse(); err != nil {
			return bad(fmt.Sprintf("on_duty[%d]", i), "%v", err)
		}
	}
	if len(s.Channels) > 16 {
		return bad("channels", "more than 16")
	}
	seen := map[string]bool{}
	for i, c := range s.Channels {
		if err := c.Check(); err != nil {
			return bad(fmt.Sprintf("channels[%d]", i), "%v", err)
		}
		if seen[c.ID] {
			return bad(fmt.Sprintf("channels[%d].id", i), "%q is used twice", c.ID)
		}
		seen[c.ID] = true
	}
	return nil
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func weekday(name string) (int, bool) {
	for i, d := range weekdays {
		if d == name {
			return i, true
		}
	}
	return 0, false
}

func clock(hm string) (int, bool) {
	h, m, ok := strings.Cut(hm, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, false
	}
	return hh*60 + mm, true
}

func (sh *Shift) parse() error {
	sh.days = [7]bool{}
	spec := strings.ToLower(strings.TrimSpace(sh.Days))
	if spec == "daily" || spec == "" {
		sh.days = [7]bool{true, true, true, true, true, true, true}
	} else {
		for _, part := range strings.Split(spec, ",") {
			a, b, isRange := strings.Cut(strings.TrimSpace(part), "-")
			from, ok1 := weekday(a)
			to, ok2 := from, true
			if isRange {
				to, ok2 = weekday(b)
			}
			if !ok1 || !ok2 {
				return fmt.Errorf("days %q: use daily, mon-fri or mon,wed,sat", sh.Days)
			}
			for d := from; ; d = (d + 1) % 7 {
				sh.days[d] = true
				if d == to {
					break
				}
			}
		}
	}
	var ok bool
	if sh.from, ok = clock(sh.From); !ok {
		return fmt.Errorf("from %q is not HH:MM", sh.From)
	}
	if sh.to, ok = clock(sh.To); !ok {
		return fmt.Errorf("to %q is not HH:MM", sh.To)
	}
	if sh.from == sh.to {
		return fmt.Errorf("from and to are both %s: an empty shift", sh.From)
	}
	return nil
}

// OnDutyAt reports whether the level takes calls at t.
func (s AlarmSettings) OnDutyAt(t time.Time) bool {
	if len(s.OnDuty) == 0 {
		return true
	}
	loc := s.loc
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	minute := local.Hour()*60 + local.Minute()
	today := int(local.Weekday())
	yesterday := (today + 6) % 7
	for _, sh := range s.OnDuty {
		if sh.from < sh.to {
			if sh.days[today] && minute >= sh.from && minute < sh.to {
				return true
			}
			continue
		}
		// Over midnight: the evening part belongs to today, the morning
		// part to the shift of yesterday.
		if sh.days[today] && minute >= sh.from || sh.days[yesterday] && minute < sh.to {
			return true
		}
	}
	return false
}

// AlarmLevel is one step of an alert's ladder: the site, then each org
// unit above it.
type AlarmLevel struct {
	Unit     string // org unit id (the site's id for the site)
	Level    string // site | community | street | district
	Name     string
	Settings AlarmSettings
}

// Escalation is how far an alert has climbed, stored with the alert.
type Escalation struct {
	// Level is the index in the ladder of the level last notified; -1
	// before the first notification.
	Level int `json:"level"`
	// Since is when Level was notified.
	Since *time.Time `json:"since,omitempty"`
	// Reminders sent at Level.
	Reminders int `json:"reminders"`
	// DueAt is when PlanEscalation must run again; nil: nothing is due.
	DueAt *time.Time `json:"due_at,omitempty"`
	// Renotify: a press after the acknowledgement waits to be told.
	Renotify bool `json:"renotify,omitempty"`
	// Escalations counts the moves up the ladder (for the report).
	Escalations int `json:"escalations"`
}

// NewEscalation is the escalation of an alert just opened at at: due at
// once, nothing notified yet.
func NewEscalation(at time.Time) Escalation {
	at = at.UTC()
	return Escalation{Level: -1, DueAt: &at}
}

// The steps of a notification (notify.Message.Step).
const (
	StepRaised       = "raised"
	StepReminder     = "reminder"
	StepEscalated    = "escalated"
	StepPressedAgain = "pressed_again"
	StepSupervision  = "supervision"
)

// AlarmAction is one thing PlanEscalation decided: tell ladder[Level]
// (its channels) about the alert, as Step. Skipped lists the levels passed
// over because they were off duty.
type AlarmAction struct {
	Step    string
	Level   int
	Skipped []int
}

// PlanEscalation decides what alert a, with escalation e, needs at now,
// on ladder (the site first; never empty): at most one action, and the
// escalation to store. It is a pure function: the runner calls it again
// at next.DueAt.
//
//   - a closed alert: nothing, nothing due;
//   - acknowledged: nothing more is due, except a press after the
//     acknowledgement (Renotify), told at once to the level last
//     notified (or the first on duty);
//   - open, nothing notified yet: the first level on duty is told
//     ("raised"; a supervision alert "supervision"), levels off duty are
//     skipped; when none is on duty, the top of the ladder is told;
//   - open, EscalateAfter passed at the level: the next level on duty is
//     told ("escalated"); at the top it stays;
//   - open, RemindAfter passed (again): the same level is reminded.
//
// A supervision alert, of lower urgency, is told once and neither
// reminded nor escalated.
func PlanEscalation(a Alert, e Escalation, ladder []AlarmLevel, now time.Time) (*AlarmAction, Escalation) {
	now = now.UTC()
	next := e
	next.DueAt = nil
	if len(ladder) == 0 || !a.State.Live() {
		next.Renotify = false
		return nil, next
	}
	firstOnDuty := func(from int) (int, []int) {
		var skipped []int
		for i := from; i < len(ladder); i++ {
			if ladder[i].Settings.OnDutyAt(now) {
				return i, skipped
			}
			skipped = append(skipped, i)
		}
		return len(ladder) - 1, skipped[:len(skipped)-1]
	}
	notify := func(step string, from int) (*AlarmAction, Escalation) {
		lvl, skipped := firstOnDuty(from)
		if step != StepPressedAgain && lvl != e.Level {
			t := now
			next.Level, next.Since, next.Reminders = lvl, &t, 0
		}
		return &AlarmAction{Step: step, Level: lvl, Skipped: skipped}, next
	}
	if a.State == AlertAcknowledged {
		if !e.Renotify {
			return nil, next
		}
		next.Renotify = false
		return notify(StepPressedAgain, max(e.Level, 0))
	}
	next.Renotify = false
	if e.Level < 0 || e.Since == nil {
		step := StepRaised
		if a.Type == "supervision" {
			step = StepSupervision
		}
		act, n := notify(step, 0)
		n.DueAt = nextDue(a, n, ladder)
		return act, n
	}
	if a.Type == "supervision" {
		return nil, next
	}
	s := ladder[e.Level].Settings
	var act *AlarmAction
	switch {
	case s.EscalateAfter > 0 && !now.Before(e.Since.Add(s.EscalateAfter.D())) && e.Level < len(ladder)-1:
		act, next = notify(StepEscalated, e.Level+1)
		if next.Level != e.Level {
			next.Escalations++
		}
	case s.RemindAfter > 0 && !now.Before(e.Since.Add(time.Duration(e.Reminders+1)*s.RemindAfter.D())):
		act = &AlarmAction{Step: StepReminder, Level: e.Level}
		next.Reminders++
	}
	next.DueAt = nextDue(a, next, ladder)
	return act, next
}

// nextDue is when an open alert at escalation e needs PlanEscalation
// again: the sooner of its next reminder and its escalation; nil for
// neither.
func nextDue(a Alert, e Escalation, ladder []AlarmLevel) *time.Time {
	if a.Type == "supervision" || e.Since == nil || e.Level < 0 || e.Level >= len(ladder) {
		return nil
	}
	s := ladder[e.Level].Settings
	var due *time.Time
	consider := func(t time.Time) {
		if due == nil || t.Before(*due) {
			due = &t
		}
	}
	if s.RemindAfter > 0 {
		consider(e.Since.Add(time.Duration(e.Reminders+1) * s.RemindAfter.D()))
	}
	if s.EscalateAfter > 0 && e.Level < len(ladder)-1 {
		consider(e.Since.Add(s.EscalateAfter.D()))
	}
	return due
}
