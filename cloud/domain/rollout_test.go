package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPlanWaves(t *testing.T) {
	for _, c := range []struct {
		n     int
		waves []WaveSpec
		want  []int
	}{
		{10, DefaultWaves, []int{1, 3, 6}},
		{1, DefaultWaves, []int{1, 0, 0}},
		{3, []WaveSpec{{Count: 1}, {Count: 5}, {}}, []int{1, 2, 0}},
		{200, []WaveSpec{{Percent: 1}, {Percent: 10}, {Percent: 100}}, []int{2, 20, 178}},
		{7, []WaveSpec{{Percent: 10}, {}}, []int{1, 6}},
		{0, DefaultWaves, []int{0, 0, 0}},
	} {
		if got := PlanWaves(c.n, c.waves); !slices.Equal(got, c.want) {
			t.Errorf("PlanWaves(%d, %v) = %v, want %v", c.n, c.waves, got, c.want)
		}
	}
}

func TestWaveVerdict(t *testing.T) {
	halt, why := WaveVerdict(2, 2, 5, 20)
	if !halt || why != "wave 2: 2 of 5 gateways failed (40 % > 20 %)" {
		t.Errorf("2 of 5 over 20 %%: %v %q", halt, why)
	}
	if halt, _ := WaveVerdict(3, 1, 5, 20); halt {
		t.Error("1 of 5 (20 %) halts a threshold of 20 %: it must pass it")
	}
	if halt, _ := WaveVerdict(1, 1, 1, 0); !halt {
		t.Error("a failed canary passes a threshold of 0 %")
	}
	if halt, _ := WaveVerdict(1, 0, 0, 0); halt {
		t.Error("an empty wave halts")
	}
}

func TestAssignWaves(t *testing.T) {
	gws := []TargetGateway{{ID: "a", Platform: "linux/arm64"}, {ID: "b", Platform: "linux/arm/v7"}, {ID: "c", Platform: "linux/arm64"},
		{ID: "d"}, {ID: "e", Platform: "linux/arm64"}}
	rows, n := AssignWaves("r", "linux/arm64", gws, DefaultWaves, time.Unix(0, 0))
	if n != 3 {
		t.Fatalf("%d gateways to send, want 3", n)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.GW+":"+string(rune('0'+r.Wave))+":"+r.State)
	}
	want := []string{"a:1:waiting", "c:2:waiting", "e:3:waiting", "b:0:skipped", "d:0:skipped"}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if !strings.Contains(rows[3].Reason, "linux/arm/v7") || !strings.Contains(rows[4].Reason, "never reported") {
		t.Errorf("skip reasons %q, %q", rows[3].Reason, rows[4].Reason)
	}
}

func TestParseRolloutRequest(t *testing.T) {
	r, err := ParseRolloutRequest([]byte(`{"release":"v1","target":{"kind":"street","id":"s-1"}}`))
	if err != nil || len(r.Waves) != 3 || *r.FailureThresholdPct != DefaultFailureThresholdPct {
		t.Fatalf("defaults: %+v %v", r, err)
	}
	for body, field := range map[string]string{
		`{"target":{"kind":"fleet"}}`:                                                  "release",
		`{"release":"v1","target":{"kind":"planet"}}`:                                  "target.kind",
		`{"release":"v1","target":{"kind":"fleet","id":"x"}}`:                          "target.id",
		`{"release":"v1","target":{"kind":"site","id":"Bad Id"}}`:                      "target.id",
		`{"release":"v1","target":{"kind":"fleet"},"waves":[{},{"count":1}]}`:          "waves[0]",
		`{"release":"v1","target":{"kind":"fleet"},"waves":[{"count":1,"percent":5}]}`: "waves[0]",
		`{"release":"v1","target":{"kind":"fleet"},"waves":[{"percent":101}]}`:         "waves[0].percent",
		`{"release":"v1","target":{"kind":"fleet"},"failure_threshold_pct":-1}`:        "failure_threshold_pct",
		`{"release":"v1","target":{"kind":"fleet"},"wave_timeout_s":5}`:                "wave_timeout_s",
		`not json`: "body",
	} {
		_, err := ParseRolloutRequest([]byte(body))
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), field) {
			t.Errorf("%s: %v, want an invalid %s", body, err, field)
		}
	}
}

func FuzzParseRolloutRequest(f *testing.F) {
	f.Add([]byte(`{"release":"v1","target":{"kind":"street","id":"s-1"},"waves":[{"count":1},{"percent":25},{}],"failure_threshold_pct":20}`))
	f.Add([]byte(`{"release":"v1","target":{"kind":"fleet"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRolloutRequest(body)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		sizes := PlanWaves(37, r.Waves)
		sum := 0
		for _, k := range sizes {
			if k < 0 {
				t.Fatalf("negative wave %v", sizes)
			}
			sum += k
		}
		if sum != 37 || len(r.Waves) == 0 || len(r.Waves) > MaxWaves {
			t.Fatalf("waves %v plan %v for 37", r.Waves, sizes)
		}
	})
}
