// Package rosterimport reads a roster file an operator uploads: CSV (UTF-8
// with or without a byte order mark, or GB18030 as saved by a Chinese
// Excel) or XLSX (first sheet), with a header row in Chinese or English.
//
// It returns the elders and a report that names every bad row by the row
// number the operator sees in the file (the header is row 1), the column
// as written in the header and a message. Personal data in the messages
// is masked (eldergate.MaskID). The import is all or nothing: the caller
// stores the elders only when the report has no problem.
package rosterimport

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eldergate/eldergate"
)

// Limits of a roster file.
const (
	MaxFileBytes = 8 << 20 // what the import route accepts
	MaxRows      = 100_000 // data rows, header excluded
	MaxProblems  = 1000    // problems listed; the count goes on
	maxCellLen   = 256
	maxIDLen     = 64
	maxNameRunes = 64
)

// Format of a roster file.
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// XLSXMIME is the media type of an XLSX file.
const XLSXMIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// ErrFormat is returned (wrapped) when the file cannot be read at all:
// not a CSV or XLSX file, too large, no header.
var ErrFormat = errors.New("rosterimport: unreadable roster file")

// Problem is one bad cell or row. Code and Params say what is wrong in a
// form a console translates (its texts name the params as {key}); Message
// says it in English for API users and logs. Personal data in Params is
// masked as in Message.
type Problem struct {
	Row     int            `json:"row"`              // 1 is the header row
	Column  string         `json:"column,omitempty"` // as written in the header
	Code    string         `json:"code"`             // one of the Code constants
	Params  map[string]any `json:"params,omitempty"`
	Message string         `json:"message"`
}

// The codes of a Problem and their params.
const (
	CodeCSVInvalid          = "csv_invalid"           // detail
	CodeHeaderNotFirst      = "header_not_first"      //
	CodeHeaderUnknown       = "header_unknown"        // header
	CodeHeaderRepeated      = "header_repeated"       // header, first
	CodeColumnMissing       = "column_missing"        // column: id or name
	CodeNoCredentialColumn  = "no_credential_column"  //
	CodeCellTooLong         = "cell_too_long"         // max
	CodeIDMissing           = "id_missing"            //
	CodeIDInvalid           = "id_invalid"            // max
	CodeIDDuplicate         = "id_duplicate"          // id, row
	CodeNameMissing         = "name_missing"          //
	CodeNameTooLong         = "name_too_long"         // max
	CodeResidentIDBad       = "resident_id_bad"       // value (masked), problem (eldergate.ResidentIDError.Code), at, detail
	CodeNoCredential        = "no_credential"         //
	CodeBirthBad            = "birth_bad"             // value
	CodeYesNoBad            = "yes_no_bad"            // value
	CodeResidenceCodeBad    = "residence_code_bad"    // level (city, district, street), value, digits, example
	CodeResidenceProvince   = "residence_province"    // district, city
	CodeResidenceDistrict   = "residence_district"    // street, district
	CodeCredentialBad       = "credential_bad"        // kind, detail
	CodeCredentialSameRow   = "credential_same_row"   // kind, value (masked)
	CodeCredentialTwoElders = "credential_two_elders" // kind, value (masked), row, id, other_row, other_id
	CodeNoRows              = "no_rows"               //
	CodeTooManyRows         = "too_many_rows"         // max
)

// Codes lists every Code (a console has a text for each).
var Codes = []string{CodeCSVInvalid, CodeHeaderNotFirst, CodeHeaderUnknown, CodeHeaderRepeated, CodeColumnMissing,
	CodeNoCredentialColumn, CodeCellTooLong, CodeIDMissing, CodeIDInvalid, CodeIDDuplicate, CodeNameMissing, CodeNameTooLong,
	CodeResidentIDBad, CodeNoCredential, CodeBirthBad, CodeYesNoBad, CodeResidenceCodeBad, CodeResidenceProvince,
	CodeResidenceDistrict, CodeCredentialBad, CodeCredentialSameRow, CodeCredentialTwoElders, CodeNoRows, CodeTooManyRows}

// ResidentIDProblems lists the codes of eldergate.ResidentIDError.
var ResidentIDProblems = []string{"length", "not_digit", "last_char", "birth_date", "birth_before_1800", "check_char"}

// P is the params of a Problem.
type P = map[string]any

// Report is the validation report of a file.
type Report struct {
	Format   Format    `json:"format"`
	Rows     int       `json:"rows"`   // data rows read, blank rows excluded
	Elders   int       `json:"elders"` // elders accepted
	Count    int       `json:"problem_count"`
	Problems []Problem `json:"problems"` // at most MaxProblems, in row order
}

// OK reports whether the file has no problem.
func (r *Report) OK() bool { return r.Count == 0 }

func (r *Report) add(row int, col, code string, params P, format string, args ...any) {
	r.Count++
	if len(r.Problems) < MaxProblems {
		r.Problems = append(r.Problems, Problem{Row: row, Column: col, Code: code, Params: params, Message: fmt.Sprintf(format, args...)})
	}
}

// Detect returns the format of a file from its media type or, when that
// says nothing useful, its first bytes (an XLSX file is a zip archive).
func Detect(contentType string, data []byte) Format {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return XLSX
	case ct == XLSXMIME:
		return XLSX
	}
	return CSV
}

// Parse reads a file of format f.
func Parse(data []byte, f Format) ([]eldergate.RosterElder, Report, error) {
	if f == XLSX {
		return ParseXLSX(data)
	}
	return ParseCSV(data)
}

// column keys.
const (
	colID         = "id"
	colName       = "name"
	colCard       = "card"
	colResidentID = "resident_id"
	colSSC        = "ssc"
	colBirth      = "birth"
	colCategory   = "category"
	colCategories = "categories"
	colHukou      = "hukou_local"
	colActive     = "active"
	colCity       = "home_city"
	colDistrict   = "home_district"
	colStreet     = "home_street"
	colResCity    = "residence_city"
	colResDist    = "residence_district"
	colResStreet  = "residence_street"
)

// headers maps accepted header texts (lower-case, without spaces and
// underscores) to column keys.
var headers = map[string]string{
	"编号": colID, "老人编号": colID, "id": colID, "elderid": colID,
	"姓名": colName, "name": colName,
	"卡号": colCard, "卡片号": colCard, "card": colCard, "cardno": colCard,
	"身份证号": colResidentID, "身份证号码": colResidentID, "身份证": colResidentID, "residentid": colResidentID, "idnumber": colResidentID,
	"社保卡号": colSSC, "社保卡": colSSC, "ssc": colSSC, "社会保障卡号": colSSC,
	"出生日期": colBirth, "生日": colBirth, "birth": colBirth, "birthdate": colBirth, "dateofbirth": colBirth,
	"类别": colCategory, "人员类别": colCategory, "category": colCategory,
	"其他类别": colCategories, "categories": colCategories,
	"有效": colActive, "启用": colActive, "active": colActive,
	"本地户籍": colHukou, "户籍": colHukou, "hukoulocal": colHukou, "hukou": colHukou,
	"户籍市": colCity, "homecity": colCity,
	"户籍区": colDistrict, "homedistrict": colDistrict,
	"户籍街道": colStreet, "户籍街镇": colStreet, "homestreet": colStreet,
	"居住市": colResCity, "常住市": colResCity, "居住地市": colResCity, "residencecity": colResCity,
	"居住区": colResDist, "常住区": colResDist, "居住地区": colResDist, "residencedistrict": colResDist,
	"居住街道": colResStreet, "居住街镇": colResStreet, "常住街道": colResStreet, "居住地街道": colResStreet, "residencestreet": colResStreet,
}

func headerKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	h = strings.NewReplacer(" ", "", "_", "", "-", "", "\u3000", "").Replace(h)
	return headers[h]
}

// record is one row of the file with its row number.
type record struct {
	row   int
	cells []string
}

// table turns the header and the data rows into elders and a report.
type table struct {
	rep    Report
	cols   map[string]int    // key -> cell index
	names  map[string]string // key -> header text
	ids    map[string]int    // elder id -> row
	creds  map[string]owner  // credential value -> holder
	elders []eldergate.RosterElder
}

// grow makes room for about rows rows (at most MaxRows): a roster of
// 100,000 elders is not copied over and over as it grows.
func (t *table) grow(rows int) {
	rows = min(rows, MaxRows)
	t.elders = make([]eldergate.RosterElder, 0, rows)
	t.ids = make(map[string]int, rows)
	t.creds = make(map[string]owner, rows)
}

type owner struct {
	row int
	id  string
}

func newTable(f Format) *table {
	return &table{rep: Report{Format: f, Problems: []Problem{}}, cols: map[string]int{}, names: map[string]string{},
		ids: map[string]int{}, creds: map[string]owner{}}
}

// header reads the header row (row 1). It returns false when the file
// cannot be read further.
func (t *table) header(cells []string) bool {
	for i, h := range cells {
		text := strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if text == "" {
			continue
		}
		key := headerKey(text)
		switch {
		case key == "":
			t.rep.add(1, clip(text), CodeHeaderUnknown, P{"header": clip(text)}, "unknown column header %q (accepted: 编号/id, 姓名/name, 卡号/card, 身份证号/resident_id, 社保卡号/ssc, 出生日期/birth, 类别/category, 其他类别/categories, 有效/active, 本地户籍/hukou_local, 户籍市/home_city, 户籍区/home_district, 户籍街道/home_street, 居住市/residence_city, 居住区/residence_district, 居住街道/residence_street)", clip(text))
		case t.names[key] != "":
			t.rep.add(1, clip(text), CodeHeaderRepeated, P{"header": clip(text), "first": t.names[key]}, "column %q repeats column %q", clip(text), t.names[key])
		default:
			t.cols[key], t.names[key] = i, text
		}
	}
	for _, k := range []string{colID, colName} {
		if _, ok := t.cols[k]; !ok {
			t.rep.add(1, "", CodeColumnMissing, P{"column": k}, "the required column %s is missing", map[string]string{colID: "编号 (id)", colName: "姓名 (name)"}[k])
		}
	}
	_, c := t.cols[colCard]
	_, r := t.cols[colResidentID]
	_, s := t.cols[colSSC]
	if !c && !r && !s {
		t.rep.add(1, "", CodeNoCredentialColumn, nil, "no credential column: at least one of 卡号 (card), 身份证号 (resident_id), 社保卡号 (ssc) is needed")
	}
	return true
}

func (t *table) cell(cells []string, key string) (string, string, bool) {
	i, ok := t.cols[key]
	if !ok {
		return "", "", false
	}
	if i >= len(cells) {
		return "", t.names[key], true
	}
	return strings.TrimSpace(cells[i]), t.names[key], true
}

func clip(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// add reads one data row.
func (t *table) add(rec record) {
	if blank(rec.cells) {
		return
	}
	t.rep.Rows++
	row := rec.row
	before := t.rep.Count
	for _, c := range rec.cells {
		if len(c) > maxCellLen {
			t.rep.add(row, "", CodeCellTooLong, P{"max": maxCellLen}, "a cell is longer than %d bytes", maxCellLen)
			return
		}
	}
	e := eldergate.RosterElder{Elder: eldergate.Elder{Active: true}}

	id, col, _ := t.cell(rec.cells, colID)
	switch {
	case id == "":
		t.rep.add(row, col, CodeIDMissing, nil, "missing elder id")
	case len(id) > maxIDLen || !printable(id):
		t.rep.add(row, col, CodeIDInvalid, P{"max": maxIDLen}, "elder id must be 1-%d printable ASCII characters", maxIDLen)
	case t.ids[id] != 0:
		t.rep.add(row, col, CodeIDDuplicate, P{"id": id, "row": t.ids[id]}, "duplicate elder id %q: already on row %d", id, t.ids[id])
	default:
		t.ids[id] = row
	}
	e.ID = id

	name, col, _ := t.cell(rec.cells, colName)
	switch {
	case name == "":
		t.rep.add(row, col, CodeNameMissing, nil, "missing name")
	case utf8.RuneCountInString(name) > maxNameRunes || !utf8.ValidString(name):
		t.rep.add(row, col, CodeNameTooLong, P{"max": maxNameRunes}, "name longer than %d characters", maxNameRunes)
	}
	e.Name = name

	var idBirth string
	if v, col, ok := t.cell(rec.cells, colResidentID); ok && v != "" {
		n, err := eldergate.NormalizeResidentID(v)
		var re *eldergate.ResidentIDError
		switch {
		case errors.As(err, &re):
			t.rep.add(row, col, CodeResidentIDBad, P{"value": eldergate.MaskID(eldergate.NormalizeCredential(v)), "detail": re.Problem, "problem": re.Code, "at": re.At},
				"bad resident ID number %s: %s", eldergate.MaskID(eldergate.NormalizeCredential(v)), re.Problem)
		case err != nil:
			t.rep.add(row, col, CodeResidentIDBad, P{"value": eldergate.MaskID(eldergate.NormalizeCredential(v)), "detail": err.Error()},
				"bad resident ID number %s: %v", eldergate.MaskID(eldergate.NormalizeCredential(v)), err)
		default:
			t.credential(&e, row, col, eldergate.CredResidentID, n)
			idBirth = eldergate.ResidentIDBirth(n)
		}
	}
	if v, col, ok := t.cell(rec.cells, colCard); ok && v != "" {
		t.credential(&e, row, col, eldergate.CredCard, v)
	}
	if v, col, ok := t.cell(rec.cells, colSSC); ok && v != "" {
		t.credential(&e, row, col, eldergate.CredSSC, v)
	}
	if len(e.Credentials) == 0 && t.rep.Count == before {
		t.rep.add(row, "", CodeNoCredential, nil, "no credential: fill in 卡号 (card), 身份证号 (resident_id) or 社保卡号 (ssc)")
	}

	if v, col, ok := t.cell(rec.cells, colBirth); ok && v != "" {
		d, err := parseDate(v)
		if err != nil {
			t.rep.add(row, col, CodeBirthBad, P{"value": clip(v)}, "birth date %q is not a date (use YYYY-MM-DD)", clip(v))
		}
		e.Birth = d
	} else if idBirth != "" {
		e.Birth = idBirth
	}
	e.Category, _, _ = t.cell(rec.cells, colCategory)
	if v, _, ok := t.cell(rec.cells, colCategories); ok && v != "" {
		for _, c := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '；' || r == '、' || r == ',' || r == '，' || r == '|' }) {
			if c = strings.TrimSpace(c); c != "" {
				e.Categories = append(e.Categories, c)
			}
		}
	}
	if v, col, ok := t.cell(rec.cells, colHukou); ok && v != "" {
		b, err := parseBool(v)
		if err != nil {
			t.rep.add(row, col, CodeYesNoBad, P{"value": clip(v)}, "%q is not yes or no (是/否, 本地/外地, yes/no)", clip(v))
		}
		e.HukouLocal = b
	}
	if v, col, ok := t.cell(rec.cells, colActive); ok && v != "" { // blank: active
		b, err := parseBool(v)
		if err != nil {
			t.rep.add(row, col, CodeYesNoBad, P{"value": clip(v)}, "%q is not yes or no (是/否, yes/no)", clip(v))
		}
		e.Active = b
	}
	e.HomeCity, _, _ = t.cell(rec.cells, colCity)
	e.HomeDistrict, _, _ = t.cell(rec.cells, colDistrict)
	e.HomeStreet, _, _ = t.cell(rec.cells, colStreet)
	t.residence(&e, row, rec.cells)
	if t.rep.Count == before {
		t.elders = append(t.elders, e)
	}
}

// residence reads where the elder lives (ADR 0015): administrative
// division codes, as a residence rule of a policy and the site's area
// name them. A city or district is 6 digits, a street or town 9 (or the
// 12 of the statistical code); a street lies in its district and a
// district in its city's province.
func (t *table) residence(e *eldergate.RosterElder, row int, cells []string) {
	type level struct {
		key, what string
		dst       *string
		lens      []int
		example   string
	}
	levels := []level{
		{colResCity, "city", &e.ResidenceCity, []int{6}, "440300"},
		{colResDist, "district", &e.ResidenceDistrict, []int{6}, "440307"},
		{colResStreet, "street", &e.ResidenceStreet, []int{9, 12}, "440307001"},
	}
	ok := true
	for _, l := range levels {
		v, col, present := t.cell(cells, l.key)
		if !present || v == "" {
			continue
		}
		code, err := divisionCode(v, l.lens)
		if err != nil {
			t.rep.add(row, col, CodeResidenceCodeBad, P{"level": l.what, "value": clip(v), "digits": strings.Join(strings.Split(digits(l.lens), " or "), "/"), "example": l.example},
				"residence %s %q is not a division code: write its %s-digit code, e.g. %s", l.what, clip(v), digits(l.lens), l.example)
			ok = false
			continue
		}
		*l.dst = code
	}
	if !ok {
		return
	}
	if c, d := e.ResidenceCity, e.ResidenceDistrict; c != "" && d != "" && c[:2] != d[:2] {
		t.rep.add(row, t.names[colResDist], CodeResidenceProvince, P{"district": d, "city": c}, "residence district %s is not in the province of residence city %s", d, c)
	}
	if d, st := e.ResidenceDistrict, e.ResidenceStreet; d != "" && st != "" && !strings.HasPrefix(st, d) {
		t.rep.add(row, t.names[colResStreet], CodeResidenceDistrict, P{"street": st, "district": d}, "residence street %s is not in residence district %s (its code starts with the district's)", st, d)
	}
}

// divisionCode reads an administrative division code of one of lens
// digits (full-width digits are folded; spaces around are ignored).
func divisionCode(v string, lens []int) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(v) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		default:
			return "", errors.New("not digits")
		}
	}
	code := b.String()
	for _, n := range lens {
		if len(code) == n {
			return code, nil
		}
	}
	return "", errors.New("wrong length")
}

func digits(lens []int) string {
	s := make([]string, len(lens))
	for i, n := range lens {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " or ")
}

func (t *table) credential(e *eldergate.RosterElder, row int, col, kind, v string) {
	c, err := eldergate.ValidateCredential(eldergate.Credential{Kind: kind, Value: v})
	if err != nil {
		t.rep.add(row, col, CodeCredentialBad, P{"kind": kind, "detail": err.Error()}, "bad %s: %v", kind, err)
		return
	}
	if o, ok := t.creds[c.Value]; ok {
		if o.row == row {
			t.rep.add(row, col, CodeCredentialSameRow, P{"kind": kind, "value": eldergate.MaskID(c.Value)}, "%s %s is also another credential of this row", kind, eldergate.MaskID(c.Value))
		} else {
			t.rep.add(row, col, CodeCredentialTwoElders, P{"kind": kind, "value": eldergate.MaskID(c.Value), "other_row": o.row, "other_id": o.id, "row": row, "id": e.ID},
				"%s %s is held by two elders: row %d (elder %s) and row %d (elder %s)",
				kind, eldergate.MaskID(c.Value), o.row, o.id, row, e.ID)
		}
		return
	}
	t.creds[c.Value] = owner{row: row, id: e.ID}
	e.Credentials = append(e.Credentials, c)
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// parseDate accepts 2006-01-02, 2006/1/2, 2006.1.2, 20060102, 2006年1月2日,
// the 1-2-06 (month-day-year) form excelize writes for date cells, and an
// Excel serial day number.
func parseDate(v string) (string, error) {
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006.1.2", "20060102", "2006年1月2日", "1-2-06"} {
		if d, err := time.Parse(layout, v); err == nil {
			if layout == "1-2-06" && d.Year() >= 2030 { // two-digit years of elders' births are 19xx
				d = d.AddDate(-100, 0, 0)
			}
			return d.Format(time.DateOnly), nil
		}
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 80000 && len(v) <= 5 {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format(time.DateOnly), nil
	}
	return "", errors.New("not a date")
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "是", "本地", "y", "yes", "true", "1", "local":
		return true, nil
	case "否", "外地", "非本地", "n", "no", "false", "0", "nonlocal":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// finish checks the row count and returns the result.
func (t *table) finish() ([]eldergate.RosterElder, Report, error) {
	if t.rep.Rows == 0 && t.rep.Count == 0 {
		t.rep.add(2, "", CodeNoRows, nil, "the file has no elder rows below the header")
	}
	t.rep.Elders = len(t.elders)
	if !t.rep.OK() {
		return nil, t.rep, nil
	}
	return t.elders, t.rep, nil
}

func tooManyRows(t *table, row int) {
	t.rep.add(row, "", CodeTooManyRows, P{"max": MaxRows}, "more than %d elder rows: split the file", MaxRows)
}
