package eldergate

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/eldergate/eldergate"

// modulePackages maps every package directory of the module (import path)
// to its in-module imports, those of its non-test files and those of its
// test files apart. Every .go file counts whatever its build tags, so the
// check is for every platform at once. testdata, hidden and underscore
// directories and node_modules are skipped, as the go tool skips them.
func modulePackages(t *testing.T) (imports, testImports map[string][]string) {
	t.Helper()
	imports, testImports = map[string][]string{}, map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (name == "testdata" || name == "node_modules" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := path.Join(module, filepath.ToSlash(filepath.Dir(p)))
		if _, ok := imports[pkg]; !ok {
			imports[pkg] = nil
		}
		for _, spec := range f.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if strings.HasSuffix(name, "_test.go") {
				testImports[pkg] = append(testImports[pkg], imp)
			} else {
				imports[pkg] = append(imports[pkg], imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports, testImports
}

// deps returns the in-module packages pkg depends on, directly or not,
// its own tests included (a dependency's tests are not), with the path
// by which each is reached.
func deps(pkg string, imports, testImports map[string][]string) map[string][]string {
	via := map[string][]string{}
	var visit func(p string, chain []string)
	visit = func(p string, chain []string) {
		for _, imp := range imports[p] {
			if _, seen := via[imp]; seen {
				continue
			}
			c := append(append([]string(nil), chain...), imp)
			via[imp] = c
			visit(imp, c)
		}
	}
	visit(pkg, []string{pkg})
	for _, imp := range testImports[pkg] {
		if _, seen := via[imp]; !seen {
			via[imp] = []string{pkg + " (tests)", imp}
			visit(imp, via[imp])
		}
	}
	return via
}

func under(pkg, dir string) bool {
	root := module + "/" + dir
	return pkg == root || strings.HasPrefix(pkg, root+"/")
}

// TestLayoutImports holds the layout of DESIGN.md to account: the cloud
// never builds in hardware drivers or gateway code (roster import once
// pulled the resident-ID check from drivers/card), the gateway never
// builds in the cloud, drivers know neither, and the contract at the root
// (with policy/) depends on no room of the module.
func TestLayoutImports(t *testing.T) {
	if _, err := os.Stat("go.mod"); err != nil {
		t.Skip("not run from the module root")
	}
	imports, testImports := modulePackages(t)
	rules := []struct {
		from      string   // a room: the root package is ""
		forbidden []string // rooms it must not depend on
	}{
		{"cloud", []string{"drivers", "firmware-gateway"}},
		{"firmware-gateway", []string{"cloud"}},
		{"drivers", []string{"cloud", "firmware-gateway"}},
		{"policy", []string{"cloud", "firmware-gateway", "drivers"}},
		{"", []string{"cloud", "firmware-gateway", "drivers"}},
		// systemd's notify protocol, shared by both daemons (ADR 0032).
		{"deploy/systemd", []string{"cloud", "firmware-gateway", "drivers"}},
	}
	pkgs := make([]string, 0, len(imports))
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, r := range rules {
		checked := 0
		for _, pkg := range pkgs {
			if r.from == "" && pkg != module || r.from != "" && !under(pkg, r.from) {
				continue
			}
			checked++
			via := deps(pkg, imports, testImports)
			for dep, chain := range via {
				for _, room := range r.forbidden {
					if under(dep, room) {
						t.Errorf("%s depends on %s/: %s", pkg, room, strings.Join(chain, " -> "))
					}
				}
			}
		}
		if checked == 0 {
			t.Errorf("no package found for %q: the test walked the wrong tree", r.from)
		}
	}
	// The walk must see the tree the go tool sees.
	for _, p := range []string{"cloud/rosterimport", "cloud/http", "drivers/card", "firmware-gateway"} {
		if _, ok := imports[module+"/"+p]; !ok {
			t.Errorf("package %s not found by the walk", p)
		}
	}
}

// The walk itself: a cloud package that reaches drivers/ through another
// package, or only in its tests, is caught.
func TestLayoutDeps(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	imports := map[string][]string{
		m("cloud/a"):      {m("policy")},
		m("cloud/b"):      {m("cloud/a"), m("shared")},
		m("shared"):       {m("drivers/card")},
		m("drivers/card"): nil,
		m("policy"):       nil,
		m("cloud/c"):      nil,
	}
	testImports := map[string][]string{m("cloud/c"): {m("drivers/card")}, m("shared"): {m("cloud/c")}}
	if got := deps(m("cloud/a"), imports, testImports); len(got) != 1 {
		t.Errorf("cloud/a: %v", got)
	}
	if chain := deps(m("cloud/b"), imports, testImports)[m("drivers/card")]; strings.Join(chain, " ") != m("cloud/b")+" "+m("shared")+" "+m("drivers/card") {
		t.Errorf("cloud/b reaches drivers/card by %v", chain)
	}
	if _, ok := deps(m("cloud/c"), imports, testImports)[m("drivers/card")]; !ok {
		t.Error("cloud/c's test import of drivers/card not seen")
	}
	if !under(m("cloud"), "cloud") || !under(m("cloud/x/y"), "cloud") || under(m("cloudy"), "cloud") {
		t.Error("under")
	}
}
