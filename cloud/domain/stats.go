package domain

import "context"

// StatsStore is what the service statistics (服务人次, cloud/reports
// stats.go) read: meals and rosters aggregated in SQL, never meal by
// meal.
type StatsStore interface {
	// ServiceStats returns, for the served meals (ServedMeal) whose
	// service day (the meal's day, the local date the gateway recorded)
	// lies in [firstDay, lastDay] (YYYY-MM-DD) and whose site is in scope
	// ("" = every site, in the tree or not), the aggregates of
	// ServiceData, all read from one snapshot.
	ServiceStats(ctx context.Context, scope, firstDay, lastDay string) (ServiceData, error)
}

// ServedMeal says which meal rows count as served: every meal not
// refused. Voided meals (a void is another change's column) are to be
// left out here too when voids land; the SQL twin is ServedMealSQL.
func ServedMeal(m Meal) bool { return m.Decision != "refused" }

// ServedMealSQL is the SQL condition of ServedMeal on the meals table
// aliased m. HOOK (voids): when meals can be voided, add "AND NOT
// m.voided" (or whatever the void column is) here and in ServedMeal.
const ServedMealSQL = `m.decision <> 'refused'`

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

// DayElders is the distinct elders served on one day.
type DayElders struct {
	Day    string `json:"day"`
	Elders int64  `json:"elders"`
}
