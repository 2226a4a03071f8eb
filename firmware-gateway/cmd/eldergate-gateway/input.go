package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/policy"
)

// The input files of policy eval are read through yaml.Node so that every
// error names the file, the field and what was expected, in words, without
// the Go types behind them.

// kinds of field values.
const (
	kText  = "text"
	kDate  = "a date YYYY-MM-DD such as 1950-05-05"
	kBool  = "true or false"
	kList  = "a list of text such as [低保, disability]"
	kPlace = "an object {city, district, street} of division codes"
	kCount = "a whole number, 0 or more"
	kUsage = "an object {count, subsidy_fen}"
)

type field struct {
	name     string
	kind     string
	required bool
}

var (
	elderFields = []field{{"id", kText, true}, {"birth", kDate, true}, {"categories", kList, false},
		{"hukou_local", kBool, false}, {"home", kPlace, false}, {"residence", kPlace, false}}
	rosterFields = []field{{"id", kText, true}, {"name", kText, false}, {"card", kText, false}, {"birth", kDate, true},
		{"category", kText, false}, {"active", kBool, false}, {"categories", kList, false}, {"hukou_local", kBool, false},
		{"home_city", kText, false}, {"home_district", kText, false}, {"home_street", kText, false},
		{"residence_city", kText, false}, {"residence_district", kText, false}, {"residence_street", kText, false}}
	placeFields = []field{{"city", kText, false}, {"district", kText, false}, {"street", kText, false}}
	siteFields  = []field{{"id", kText, false}, {"city", kText, false}, {"district", kText, false}, {"street", kText, false}}
	usageFields = []field{{"window", kUsage, false}, {"day", kUsage, false}, {"week", kUsage, false}, {"month", kUsage, false}}
	countFields = []field{{"count", kCount, false}, {"subsidy_fen", kCount, false}}
)

func names(fs []field) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return strings.Join(out, ", ")
}

// object is one mapping of an input file: its values by key.
type object map[string]*yaml.Node

// readDoc parses data (YAML or JSON) and returns its top-level object.
func readDoc(path string, data []byte, what string) (object, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty; expected %s", path, what)
		}
		return nil, fmt.Errorf("%s: not valid YAML or JSON (%s)", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	n := &doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected %s", path, what)
	}
	return mapping(n), nil
}

func mapping(n *yaml.Node) object {
	o := object{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		o[n.Content[i].Value] = n.Content[i+1]
	}
	return o
}

// check verifies the keys and value kinds of o against fs. at prefixes
// field names ("home." ...).
func (o object) check(path, at string, fs []field, also string) error {
	for k, v := range o {
		i := slices.IndexFunc(fs, func(f field) bool { return f.name == k })
		if i < 0 {
			return fmt.Errorf("%s: line %d: unknown field %q; the fields are: %s%s", path, v.Line, at+k, names(fs), also)
		}
		if err := checkKind(path, at+k, fs[i].kind, v); err != nil {
			return err
		}
	}
	for _, f := range fs {
		if _, ok := o[f.name]; f.required && !ok {
			return fmt.Errorf("%s: %s: missing; expected %s", path, at+f.name, f.kind)
		}
	}
	return nil
}

func shown(v *yaml.Node) string {
	switch v.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	}
	if v.Tag == "!!null" {
		return "nothing (null)"
	}
	return strconv.Quote(clipText(v.Value))
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func checkKind(path, name, kind string, v *yaml.Node) error {
	bad := func() error {
		return fmt.Errorf("%s: line %d: %s: expected %s, got %s", path, v.Line, name, kind, shown(v))
	}
	scalar := v.Kind == yaml.ScalarNode && v.Tag != "!!null"
	switch kind {
	case kText:
		if !scalar || v.Tag == "!!bool" {
			return bad()
		}
	case kDate:
		if !scalar {
			return bad()
		}
		if _, err := time.Parse(time.DateOnly, v.Value); err != nil {
			return fmt.Errorf("%s: line %d: %s: %q is not a valid date; expected YYYY-MM-DD such as 1950-05-05", path, v.Line, name, clipText(v.Value))
		}
	case kBool:
		if !scalar || v.Tag != "!!bool" {
			return bad()
		}
	case kCount:
		if n, err := strconv.ParseInt(v.Value, 10, 64); !scalar || err != nil || n < 0 || n > int64(policy.MaxFen) {
			return bad()
		}
	case kList:
		if v.Kind != yaml.SequenceNode {
			return bad()
		}
		for i, item := range v.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" || item.Value == "" {
				return fmt.Errorf("%s: line %d: %s[%d]: expected text, got %s", path, item.Line, name, i, shown(item))
			}
		}
	case kPlace, kUsage:
		if v.Kind != yaml.MappingNode {
			return bad()
		}
		fs := placeFields
		if kind == kUsage {
			fs = countFields
		}
		return mapping(v).check(path, name+".", fs, "")
	}
	return nil
}

func (o object) text(k string) string {
	if v, ok := o[k]; ok {
		return v.Value
	}
	return ""
}

func (o object) place(k string) policy.Place {
	v, ok := o[k]
	if !ok {
		return policy.Place{}
	}
	p := mapping(v)
	return policy.Place{City: p.text("city"), District: p.text("district"), Street: p.text("street")}
}

func (o object) list(k string) []string {
	v, ok := o[k]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(v.Content))
	for _, item := range v.Content {
		out = append(out, item.Value)
	}
	return out
}

func (o object) flag(k string) bool {
	return o.text(k) == "true" || o.text(k) == "True" || o.text(k) == "TRUE"
}

func (o object) count(k string) int64 {
	n, _ := strconv.ParseInt(o.text(k), 10, 64)
	return n
}

// parseElder reads an elder in the engine's form {id, birth, categories,
// hukou_local, home, residence} or as a roster entry {id, name, card,
// birth, category, active, home_city, ...}.
func parseElder(path string, data []byte) (policy.Elder, error) {
	o, err := readDoc(path, data, "an elder {id, birth, categories, hukou_local, home, residence}")
	if err != nil {
		return policy.Elder{}, err
	}
	_, nested := o["home"]
	if _, r := o["residence"]; r {
		nested = true
	}
	if v, ok := o["id"]; ok && v.Kind == yaml.ScalarNode && v.Value == "" {
		return policy.Elder{}, fmt.Errorf("%s: line %d: id: empty; expected the elder's id", path, v.Line)
	}
	roster := false
	for k := range o {
		if !nested && !slices.ContainsFunc(elderFields, func(f field) bool { return f.name == k }) &&
			slices.ContainsFunc(rosterFields, func(f field) bool { return f.name == k }) {
			roster = true
		}
	}
	if roster {
		if err := o.check(path, "", rosterFields, " (a roster entry)"); err != nil {
			return policy.Elder{}, err
		}
		return policy.FromRoster(eldergate.Elder{ID: o.text("id"), Name: o.text("name"), Card: o.text("card"),
			Birth: o.text("birth"), Category: o.text("category"), Active: o.flag("active"), Categories: o.list("categories"),
			HukouLocal: o.flag("hukou_local"), HomeCity: o.text("home_city"), HomeDistrict: o.text("home_district"),
			HomeStreet: o.text("home_street"), ResidenceCity: o.text("residence_city"),
			ResidenceDistrict: o.text("residence_district"), ResidenceStreet: o.text("residence_street")}), nil
	}
	if err := o.check(path, "", elderFields, "; or a roster entry with "+names(rosterFields)); err != nil {
		return policy.Elder{}, err
	}
	return policy.Elder{ID: o.text("id"), Birth: o.text("birth"), Categories: o.list("categories"),
		HukouLocal: o.flag("hukou_local"), Home: o.place("home"), Residence: o.place("residence")}, nil
}

func parseSite(path string, data []byte) (policy.Site, error) {
	o, err := readDoc(path, data, "a site {id, city, district, street}")
	if err != nil {
		return policy.Site{}, err
	}
	if err := o.check(path, "", siteFields, ""); err != nil {
		return policy.Site{}, err
	}
	return policy.Site{ID: o.text("id"), Place: policy.Place{City: o.text("city"), District: o.text("district"), Street: o.text("street")}}, nil
}

func parseUsage(path string, data []byte) (policy.Usage, error) {
	o, err := readDoc(path, data, "usage {window, day, week, month: {count, subsidy_fen}}")
	if err != nil {
		return policy.Usage{}, err
	}
	if err := o.check(path, "", usageFields, ""); err != nil {
		return policy.Usage{}, err
	}
	c := func(k string) policy.Counter {
		v, ok := o[k]
		if !ok {
			return policy.Counter{}
		}
		m := mapping(v)
		return policy.Counter{Count: int(m.count("count")), SubsidyFen: eldergate.Fen(m.count("subsidy_fen"))}
	}
	return policy.Usage{Window: c("window"), Day: c("day"), Week: c("week"), Month: c("month")}, nil
}
