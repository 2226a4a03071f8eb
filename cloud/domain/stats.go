package domain

import "context"

// StatsStore is what the service statistics (服务人次, cloud/reports
// stats.go) read: meals and rosters aggregated in SQL, never meal by
// meal.
type StatsStore interface {
	// ServiceStats returns, for the served meals (ServedMealSQL) whose
	// service day (the meal's day, the local date the gateway recorded)
	// lies in [firstDay, lastDay] (YYYY-MM-DD) and whose site is in scope
	// ("" = every site, in the tree or not), the aggregates of
	// ServiceData, all read from one snapshot; Weekly has the distinct
	// elders of each of weeks (spans of days inside [firstDay, lastDay]).
	ServiceStats(ctx context.Context, scope, firstDay, lastDay string, weeks []DayRange) (ServiceData, error)
}

// DayRange is a span of service days [First, Last] (YYYY-MM-DD) named Key.
type DayRange struct {
	Key   string `json:"key"`
	First string `json:"first"`
	Last  string `json:"last"`
}

// ServedMealSQL is the SQL condition, on the meals table aliased m, of a
// served meal (服务人次): a meal that was not refused and not voided by
// staff (meal_voids). NOT IN, not NOT EXISTS: PostgreSQL then hashes the
// voids once (a hashed SubPlan) whatever its statistics say; with NOT
// EXISTS and few or no voids it chose a nested loop that cost 2 s per
// query at 1.8 million meals (docs/PERFORMANCE.md).
const ServedMealSQL = `m.decision <> 'refused' AND m.event_id NOT IN (SELECT v.meal_event_id FROM meal_voids v)`

// ServiceData is the aggregates of served meals the statistics need.
type ServiceData struct {
	// Counts: served meals per site, service day and window.
	Counts []ServiceCount `json:"counts"`
	// Elders: the served meals of each elder at each site in the period
	// (an elder at two sites has two rows), so that roll-ups count an
	// elder once.
	Elders []SiteElder `json:"elders"`
	// Daily: per service day, the distinct elders served over the whole
	// scope.
	Daily []DayElders `json:"daily"`
	// Weekly: per week asked for (its Key), the distinct elders served
	// over the whole scope.
	Weekly []DayElders `json:"weekly"`
	// Roster: the active elders on the current roster of each site in
	// scope (not removed, Active set), Meals 0.
	Roster []SiteElder `json:"roster"`
}

// ServiceCount is the served meals of one site, day and window.
type ServiceCount struct {
	Site   string `json:"site"`
	Day    string `json:"day"`
	Window string `json:"window"`
	Meals  int64  `json:"meals"`
}

// SiteElder is one elder at one site (with its served meals, or on the
// roster).
type SiteElder struct {
	Site    string `json:"site"`
	ElderID string `json:"elder_id"`
	Meals   int64  `json:"meals"`
}

// DayElders is the distinct elders served on one day (or in one week:
// Day is then the week's key).
type DayElders struct {
	Day    string `json:"day"`
	Elders int64  `json:"elders"`
}
