package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMain lets the tests run the real command (exit codes, stdout) by
// re-executing the test binary with EG_TEST_MAIN set.
func TestMain(m *testing.M) {
	if os.Getenv("EG_TEST_MAIN") == "1" {
		os.Args = append([]string{"eldergate-gateway"}, strings.Fields(os.Getenv("EG_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runMain runs the command in a child process and returns its exit code,
// stdout and stderr.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "EG_TEST_MAIN=1", "EG_TEST_ARGS="+strings.Join(args, " "))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestPolicyEvalExampleElder runs the command of docs/policies/README.md
// on the example elder file of the repository.
func TestPolicyEvalExampleElder(t *testing.T) {
	d := evalJSON(t, "--policy", policies+"zhuhai-2024.yaml", "--elder", policies+"examples/elder.json",
		"--at", "2025-03-03T12:00", "--weight-g", "500", "--site", "440400/440402/440402005")
	if d.Decision != "approved" || d.PriceFen != 2000 || d.SubsidyFen != 600 || d.DiscountFen != 140 || d.PayFen != 1260 {
		t.Fatalf("decision = %+v", d)
	}
	// The same through the real command: exit 0, the decision on stdout.
	code, out, errOut := runMain(t, "policy", "eval", "--policy", policies+"example-discount-first.yaml", "--elder", policies+"examples/elder.json",
		"--at", "2025-03-03T12:00", "--price-fen", "1500", "--site", "440400/440402/440402005")
	// 74, local: 10% off 15.00 = 1.50, then 3 yuan: pays 10.50.
	if code != 0 || !strings.Contains(out, `"rule": "local-70-79"`) || !strings.Contains(out, `"pay_fen": 1050`) || errOut != "" {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, out, errOut)
	}
}

// TestPolicyEvalExplainsInputErrors: every bad input is an error naming
// the file, the field and what was expected, without Go type names, and
// the command exits with 2.
func TestPolicyEvalExplainsInputErrors(t *testing.T) {
	zh := policies + "zhuhai-2024.yaml"
	good := `{"id":"H1","birth":"1950-05-05","hukou_local":true}`
	goType := regexp.MustCompile(`policy\.|eldergate\.|in type|Go (struct|value)|!!|cannot unmarshal`)
	for _, tc := range []struct {
		name, elder, site, usage string
		want                     []string
	}{
		{"birth month 13", `{"id":"H1","birth":"1945-13-01"}`, "", "", []string{"elder.json", "birth", `"1945-13-01" is not a valid date`, "YYYY-MM-DD"}},
		{"birth missing", `{"id":"H1","hukou_local":true}`, "", "", []string{"elder.json: birth: missing; expected a date YYYY-MM-DD"}},
		{"birth a number", `{"id":"H1","birth":1950}`, "", "", []string{"birth", `"1950" is not a valid date`}},
		{"unknown field name", `{"id":"H1","name":"张三","birth":"1950-05-05","home":{"city":"440400"}}`, "", "",
			[]string{`elder.json: line 1: unknown field "name"; the fields are: id, birth, categories, hukou_local, home, residence`}},
		{"hukou yes", `{"id":"H1","birth":"1950-05-05","hukou_local":"yes"}`, "", "", []string{`hukou_local: expected true or false, got "yes"`}},
		{"categories text", `{"id":"H1","birth":"1950-05-05","categories":"低保"}`, "", "", []string{"categories: expected a list of text"}},
		{"home field", `{"id":"H1","birth":"1950-05-05","home":{"county":"1"}}`, "", "", []string{`unknown field "home.county"; the fields are: city, district, street`}},
		{"residence a string", `{"id":"H1","birth":"1950-05-05","residence":"440402"}`, "", "", []string{"residence: expected an object {city, district, street}"}},
		{"id missing", `{"birth":"1950-05-05"}`, "", "", []string{"elder.json: id: missing"}},
		{"id empty", `{"id":"","name":"x","birth":"1950-05-05"}`, "", "", []string{"elder.json: line 1: id: empty"}},
		{"not an object", `[1,2]`, "", "", []string{"elder.json: expected an elder {id, birth"}},
		{"not JSON", `{"id":`, "", "", []string{"elder.json: not valid YAML or JSON"}},
		{"empty", ``, "", "", []string{"elder.json: empty; expected an elder"}},
		{"roster unknown", `{"id":"H1","name":"张三","birth":"1950-05-05","nickname":"x"}`, "", "", []string{`unknown field "nickname"; the fields are: id, name, card`}},
		{"site field", good, `{"id":"s","town":"x"}`, "", []string{`site.json: line 1: unknown field "town"; the fields are: id, city, district, street`}},
		{"usage count", good, "", `{"day":{"count":-1}}`, []string{`usage.json: line 1: day.count: expected a whole number, 0 or more, got "-1"`}},
		{"usage period", good, "", `{"year":{"count":1}}`, []string{`unknown field "year"; the fields are: window, day, week, month`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"policy", "eval", "--policy", zh, "--elder", writeFile(t, "elder.json", tc.elder), "--at", "2025-03-03T12:00", "--weight-g", "500"}
			if tc.site != "" {
				args = append(args, "--site", writeFile(t, "site.json", tc.site))
			}
			if tc.usage != "" {
				args = append(args, "--usage", writeFile(t, "usage.json", tc.usage))
			}
			err := run(context.Background(), args, &bytes.Buffer{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant %q", err, w)
				}
			}
			if goType.MatchString(err.Error()) {
				t.Errorf("err names Go types: %v", err)
			}
			if code := exitCode(err, &bytes.Buffer{}); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
		})
	}
	// A policy with an unknown field and a wrong type, YAML and JSON.
	elder := writeFile(t, "elder.json", good)
	for body, want := range map[string]string{
		"version: v\ntime_zone: Asia/Shanghai\nbogus: 1\nwindows: [{name: l, start: '11:00', end: '13:00', price: {fixed_fen: twelve}}]\n": `line 3: unknown field "bogus"; line 4: expected a whole number, got "twelve"`,
		`{"version":"v","windows":[{"price":{"fixed_fen":"x"}}]}`:                                                                          "windows.price.fixed_fen: expected a whole number, got string",
	} {
		err := run(context.Background(), []string{"policy", "eval", "--policy", writeFile(t, "p.yaml", body), "--elder", elder, "--at", "2025-03-03T12:00"}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), want) || goType.MatchString(err.Error()) || exitCode(err, &bytes.Buffer{}) != 2 {
			t.Errorf("policy %q: err = %v, want %q", body, err, want)
		}
	}
	// The real command: exit 2 and the message on stderr.
	bad := writeFile(t, "elder.json", `{"id":"H1","birth":"1945-13-01"}`)
	code, out, errOut := runMain(t, "policy", "eval", "--policy", zh, "--elder", bad, "--at", "2025-03-03T12:00", "--weight-g", "500")
	if code != 2 || out != "" || !strings.Contains(errOut, `birth: "1945-13-01" is not a valid date; expected YYYY-MM-DD`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestHelpExitsZero: --help, -h and help print the usage on stdout and
// exit 0; no command or an unknown one is a usage error (2).
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"policy", "--help"}, {"policy", "eval", "-h"}} {
		code, out, _ := runMain(t, args...)
		if code != 0 || !strings.Contains(out, "usage:") || !strings.Contains(out, "policy eval") {
			t.Errorf("%v: exit %d, stdout %q", args, code, out)
		}
	}
	for _, args := range [][]string{{}, {"frobnicate"}} {
		if code, _, errOut := runMain(t, args...); code != 2 || !strings.Contains(errOut, "usage:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// FuzzParseElder: any bytes as an elder file either give an error or an
// elder with an id and a real birth date; never a panic, never Go type
// names in the error.
func FuzzParseElder(f *testing.F) {
	if b, err := os.ReadFile(policies + "examples/elder.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"id":"H1","birth":"1945-13-01"}`))
	f.Add([]byte("{id: H1, name: 张三, card: C1, birth: '1950-05-05', active: true, residence_district: '440402'}\n"))
	f.Add([]byte(`{"id":"H1","birth":"1950-05-05","home":{"city":1},"residence":[1]}`))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte(`{"id":"","name":"x","birth":"1950-05-05"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := parseElder("elder.json", data)
		if err != nil {
			if strings.Contains(err.Error(), "policy.") || strings.Contains(err.Error(), "in type") {
				t.Fatalf("Go type names: %v", err)
			}
			return
		}
		if e.ID == "" {
			t.Fatalf("elder without id: %+v", e)
		}
		if _, err := time.Parse(time.DateOnly, e.Birth); err != nil {
			t.Fatalf("elder with birth %q accepted", e.Birth)
		}
	})
}
