package kiosk

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"
)

// Reasons returns the words of each reason code of a tap's result, by
// language (zh-CN, zh-HK, en) then code, as the kiosk shows them: read
// once from the reasons blocks of static/results.js, the one place they
// are written. The cloud's meals list shows and exports the same words.
func Reasons() map[string]map[string]string {
	reasonsOnce.Do(func() { reasons, reasonsErr = parseReasons() })
	if reasonsErr != nil {
		panic(reasonsErr) // cannot happen: the embedded file is checked by the tests
	}
	return reasons
}

var (
	reasonsOnce sync.Once
	reasons     map[string]map[string]string
	reasonsErr  error
)

var reasonEntry = regexp.MustCompile(`\b([a-z_]+): "([^"]*)"`)

func parseReasons() (map[string]map[string]string, error) {
	b, err := fs.ReadFile(FS(), "results.js")
	if err != nil {
		return nil, err
	}
	js := string(b)
	out := map[string]map[string]string{}
	for _, lang := range []struct{ name, head string }{{"zh-CN", `"zh-CN": {`}, {"zh-HK", `"zh-HK": {`}, {"en", "\n  en: {"}} {
		i := strings.Index(js, lang.head)
		if i < 0 {
			return nil, fmt.Errorf("kiosk: results.js has no %s block", lang.name)
		}
		j := strings.Index(js[i:], "reasons: {")
		if j < 0 {
			return nil, fmt.Errorf("kiosk: results.js: %s has no reasons", lang.name)
		}
		block := js[i+j+len("reasons: {"):]
		block = block[:strings.Index(block, "}")]
		m := map[string]string{}
		for _, e := range reasonEntry.FindAllStringSubmatch(block, -1) {
			m[e[1]] = e[2]
		}
		out[lang.name] = m
	}
	return out, nil
}
