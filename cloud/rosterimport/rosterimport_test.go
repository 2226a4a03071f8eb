package rosterimport

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/eldergate/eldergate"
)

// residentID returns a valid resident ID number born on birth (YYYYMMDD)
// with sequence seq.
func residentID(t testing.TB, birth string, seq int) string {
	t.Helper()
	body := "440303" + birth + fmt.Sprintf("%03d", seq)
	c, err := eldergate.ResidentIDCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// badCheck returns id with a wrong check character.
func badCheck(id string) string {
	last := id[17]
	if last == '0' {
		return id[:17] + "1"
	}
	return id[:17] + "0"
}

// xlsxFile builds an XLSX file whose first sheet holds rows (row 1 first).
func xlsxFile(t testing.TB, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func csvText(rows [][]string) []byte {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ","))
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

func problemsAt(rep Report) map[int][]Problem {
	out := map[int][]Problem{}
	for _, p := range rep.Problems {
		out[p.Row] = append(out[p.Row], p)
	}
	return out
}

func TestGoodFileBothFormats(t *testing.T) {
	id1 := residentID(t, "19450302", 12)
	rows := [][]string{
		{"编号", "姓名", "卡号", "身份证号", "社保卡号", "类别", "其他类别", "户籍", "户籍区"},
		{"E1", "张三明", "a1b2c3d4", id1, "", "低保", "特困;残疾", "是", "440303"},
		{"E2", "李四", "", "", "SSC-77", "", "", "否", ""},
		{"", "", "", "", "", "", "", "", ""}, // blank row: skipped
		{"E3", "Wang Wu", "0A0B0C0D", "", "", "", "", "", ""},
	}
	for _, tc := range []struct {
		name string
		data []byte
		f    Format
	}{
		{"csv", csvText(rows), CSV},
		{"csv-bom", append([]byte("\xef\xbb\xbf"), csvText(rows)...), CSV},
		{"xlsx", xlsxFile(t, rows), XLSX},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Detect("application/octet-stream", tc.data); got != tc.f {
				t.Fatalf("Detect = %s, want %s", got, tc.f)
			}
			els, rep, err := Parse(tc.data, tc.f)
			if err != nil || !rep.OK() {
				t.Fatalf("Parse: %v %+v", err, rep)
			}
			if rep.Rows != 3 || rep.Elders != 3 || len(els) != 3 {
				t.Fatalf("rows %d elders %d len %d, want 3", rep.Rows, rep.Elders, len(els))
			}
			e := els[0]
			if e.ID != "E1" || e.Name != "张三明" || e.Birth != "1945-03-02" || e.Category != "低保" ||
				strings.Join(e.Categories, "|") != "特困|残疾" || !e.HukouLocal || e.HomeDistrict != "440303" || !e.Active {
				t.Fatalf("elder 1 = %+v", e)
			}
			if len(e.Credentials) != 2 || e.Credentials[0] != (eldergate.Credential{Kind: "resident_id", Value: id1, State: "active"}) ||
				e.Credentials[1] != (eldergate.Credential{Kind: "card", Value: "A1B2C3D4", State: "active"}) {
				t.Fatalf("elder 1 credentials = %+v", e.Credentials)
			}
			if els[1].HukouLocal || len(els[1].Credentials) != 1 || els[1].Credentials[0].Value != "SSC-77" {
				t.Fatalf("elder 2 = %+v", els[1])
			}
			u := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: els}
			if err := u.Validate(); err != nil {
				t.Fatalf("the elders do not make a valid roster update: %v", err)
			}
		})
	}
}

func TestGB18030(t *testing.T) {
	utf := csvText([][]string{{"编号", "姓名", "卡号"}, {"E1", "张三明", "C0001"}})
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(utf)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gb, utf) {
		t.Fatal("the test file is the same in both encodings")
	}
	els, rep, err := ParseCSV(gb)
	if err != nil || !rep.OK() || len(els) != 1 || els[0].Name != "张三明" {
		t.Fatalf("GB18030: %v %+v %+v", err, rep, els)
	}
}

// TestBadRows: every bad row is named with the row the operator sees, the
// column as written and a message without personal data in clear.
func TestBadRows(t *testing.T) {
	good := residentID(t, "19500101", 1)
	wrong := badCheck(residentID(t, "19510101", 2))
	rows := [][]string{
		{"ID", "Name", "Card", "Resident_ID", "Birth", "Hukou_Local"},
		{"E1", "张三明", "C0001", good, "", ""},             // 2 ok
		{"E2", "", "C0002", "", "", ""},                  // 3 missing name
		{"E3", "王五", "C0003", wrong, "", ""},             // 4 bad check character
		{"E1", "赵六", "C0004", "", "", ""},                // 5 duplicate id of row 2
		{"E5", "钱七", "C0001", "", "", ""},                // 6 card of row 2
		{"E6", "孙八", "", "", "", ""},                     // 7 no credential
		{"E7", "周九", "C0007", "", "1950-13-40", "maybe"}, // 8 bad date, bad bool
		{"E8", "吴十", "C0008", "", "1950/3/4", "本地"},      // 9 ok
		{"", "郑一", "C0009", "", "", ""},                  // 10 missing id
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{{"csv", csvText(rows)}, {"xlsx", xlsxFile(t, rows)}} {
		t.Run(tc.name, func(t *testing.T) {
			els, rep, err := Parse(tc.data, Detect("", tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || els != nil {
				t.Fatalf("a file with bad rows gave elders: %+v", els)
			}
			at := problemsAt(rep)
			want := map[int][2]string{
				3:  {"Name", "missing name"},
				4:  {"Resident_ID", "check character does not match"},
				5:  {"ID", "duplicate elder id \"E1\": already on row 2"},
				6:  {"Card", "row 2 (elder E1) and row 6 (elder E5)"},
				7:  {"", "no credential"},
				10: {"ID", "missing elder id"},
			}
			for row, w := range want {
				ps := at[row]
				if len(ps) != 1 || ps[0].Column != w[0] || !strings.Contains(ps[0].Message, w[1]) {
					t.Errorf("row %d: %+v, want one problem in column %q containing %q", row, ps, w[0], w[1])
				}
			}
			if ps := at[8]; len(ps) != 2 || ps[0].Column != "Birth" || ps[1].Column != "Hukou_Local" {
				t.Errorf("row 8: %+v, want a birth and a hukou problem", ps)
			}
			if len(at[2]) != 0 || len(at[9]) != 0 || rep.Count != 8 || rep.Rows != 9 {
				t.Errorf("report %+v: want 8 problems on 9 rows, none on rows 2 and 9", rep)
			}
			for _, p := range rep.Problems {
				params := fmt.Sprint(p.Params)
				if strings.Contains(p.Message+params, wrong) || strings.Contains(p.Message+params, good) || strings.Contains(p.Message+params, "C0001") {
					t.Errorf("row %d message or params have personal data in clear: %s %s", p.Row, p.Message, params)
				}
			}
			// The codes and params a console translates.
			codes := map[int]string{3: CodeNameMissing, 4: CodeResidentIDBad, 5: CodeIDDuplicate, 6: CodeCredentialTwoElders, 7: CodeNoCredential, 10: CodeIDMissing}
			for row, code := range codes {
				if at[row][0].Code != code {
					t.Errorf("row %d: code %q, want %q", row, at[row][0].Code, code)
				}
			}
			if p := at[4][0].Params; p["problem"] != "check_char" {
				t.Errorf("row 4 params %v, want problem check_char", p)
			}
			if p := at[5][0].Params; p["id"] != "E1" || p["row"] != 2 {
				t.Errorf("row 5 params %v, want id E1 and row 2", p)
			}
			if p := at[6][0].Params; p["other_row"] != 2 || p["other_id"] != "E1" || p["row"] != 6 || p["id"] != "E5" || p["value"] != eldergate.MaskID("C0001") {
				t.Errorf("row 6 params %v", p)
			}
			if p := at[8]; p[0].Code != CodeBirthBad || p[0].Params["value"] != "1950-13-40" || p[1].Code != CodeYesNoBad {
				t.Errorf("row 8 codes %+v", p)
			}
			if !strings.Contains(at[4][0].Message, eldergate.MaskID(wrong)) {
				t.Errorf("row 4 message does not name the masked number: %s", at[4][0].Message)
			}
		})
	}
}

func TestHeaderProblems(t *testing.T) {
	cases := []struct {
		name   string
		header []string
		want   []string
	}{
		{"unknown", []string{"编号", "姓名", "卡号", "电话"}, []string{`unknown column header "电话"`}},
		{"repeated", []string{"编号", "姓名", "卡号", "card"}, []string{`column "card" repeats column "卡号"`}},
		{"missing name", []string{"编号", "卡号"}, []string{"required column 姓名 (name) is missing"}},
		{"no credential", []string{"编号", "姓名"}, []string{"no credential column"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, rep, err := ParseCSV(csvText([][]string{tc.header, {"E1", "张三", "C1", "x"}}))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Count != len(tc.want) {
				t.Fatalf("problems %+v, want %q", rep.Problems, tc.want)
			}
			for i, w := range tc.want {
				if rep.Problems[i].Row != 1 || !strings.Contains(rep.Problems[i].Message, w) {
					t.Errorf("problem %+v, want row 1 with %q", rep.Problems[i], w)
				}
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":    nil,
		"too big":  bytes.Repeat([]byte("a"), MaxFileBytes+1),
		"not text": {0xff, 0xfe, 0x00, 0x41},
	} {
		if _, _, err := ParseCSV(data); !errors.Is(err, ErrFormat) {
			t.Errorf("CSV %s: err %v, want ErrFormat", name, err)
		}
	}
	if _, _, err := ParseXLSX([]byte("PK\x03\x04 not really a zip")); !errors.Is(err, ErrFormat) {
		t.Errorf("XLSX garbage: err %v, want ErrFormat", err)
	}
	if _, rep, err := ParseCSV([]byte("编号,姓名,卡号\nE1,\"张三,C1\n")); err != nil || rep.OK() || rep.Problems[0].Row != 2 {
		t.Errorf("unterminated quote: %v %+v, want a problem on row 2", err, rep)
	}
}

func TestRowLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name,card\n")
	for i := 0; i <= MaxRows; i++ {
		fmt.Fprintf(&b, "E%d,N,C%d\n", i, i)
	}
	_, rep, err := ParseCSV([]byte(b.String()))
	if err != nil || rep.OK() || !strings.Contains(rep.Problems[len(rep.Problems)-1].Message, "more than 100000 elder rows") {
		t.Fatalf("%d rows: %v %+v", MaxRows+1, err, rep.Problems)
	}
}

func TestSemicolonAndDates(t *testing.T) {
	data := []byte("编号;姓名;卡号;出生日期\nE1;张三;C1;1950年3月4日\nE2;李四;C2;19490101\nE3;王五;C3;18000\n")
	els, rep, err := ParseCSV(data)
	if err != nil || !rep.OK() {
		t.Fatalf("%v %+v", err, rep)
	}
	if els[0].Birth != "1950-03-04" || els[1].Birth != "1949-01-01" || els[2].Birth != "1949-04-12" {
		t.Fatalf("births %s %s %s", els[0].Birth, els[1].Birth, els[2].Birth)
	}
}

// check is the invariant of both fuzz targets: no panic; a clean report
// gives elders that form a valid roster update, a report with problems
// gives none, and every problem names a row.
func check(t *testing.T, els []eldergate.RosterElder, rep Report, err error) {
	if err != nil {
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("error %v is not ErrFormat", err)
		}
		return
	}
	if !rep.OK() {
		if els != nil {
			t.Fatal("elders returned with problems")
		}
		for _, p := range rep.Problems {
			if p.Row < 1 || p.Message == "" || p.Code == "" {
				t.Fatalf("problem without row, code or message: %+v", p)
			}
		}
		return
	}
	u := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: els}
	if err := u.Validate(); err != nil {
		t.Fatalf("accepted elders are not a valid roster: %v", err)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add(csvText([][]string{{"编号", "姓名", "卡号"}, {"E1", "张三", "C1"}}))
	f.Add([]byte("\xef\xbb\xbfid,name,resident_id\nE1,x,11010519491231002X\n"))
	f.Add([]byte("id;name;card\nE1;a;C\nE1;b;C\n"))
	f.Add([]byte("id,name,card\n\"E1,x\n"))
	f.Add(csvText([][]string{{"编号", "姓名", "卡号", "居住市", "居住区", "居住街道"}, {"E1", "张三", "C1", "440300", "440307", "440307001"}, {"E2", "李四", "C2", "", "龙岗区", "４４０３０７００２"}}))
	f.Add([]byte{0xb1, 0xe0, 0xba, 0xc5, ',', 'n', 'a', 'm', 'e', ',', 'c', 'a', 'r', 'd', '\n'})
	f.Fuzz(func(t *testing.T, data []byte) {
		els, rep, err := ParseCSV(data)
		check(t, els, rep, err)
	})
}

func FuzzXLSX(f *testing.F) {
	f.Add(xlsxFile(f, [][]string{{"编号", "姓名", "卡号"}, {"E1", "张三", "C1"}}))
	f.Add(xlsxFile(f, [][]string{{"id", "name", "resident_id", "birth"}, {"E1", "x", "11010519491231002X", "1949-12-31"}, {"E1", "", "bad", "x"}}))
	f.Add(xlsxFile(f, [][]string{{"", ""}, {"id", "name", "ssc"}}))
	f.Add(xlsxFile(f, [][]string{{"id", "name", "card", "residence_district", "residence_street"}, {"E1", "x", "C1", "440307", "440305001"}}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		els, rep, err := ParseXLSX(data)
		check(t, els, rep, err)
	})
}

// TestResidenceColumns: where an elder lives (ADR 0015) is read from
// columns named like the hukou ones, in Chinese or English, from CSV and
// XLSX; codes are kept as division codes (full-width digits folded);
// empty cells leave the residence unknown.
func TestResidenceColumns(t *testing.T) {
	for _, head := range [][]string{
		{"编号", "姓名", "卡号", "户籍", "户籍区", "居住市", "居住区", "居住街道"},
		{"id", "name", "card", "hukou_local", "home_district", "residence_city", "Residence District", "residence-street"},
	} {
		rows := [][]string{head,
			{"E1", "张三明", "C1", "否", "420102", "440300", "440307", "440307001"},
			{"E2", "李四", "C2", "是", "440307", "", "４４０３０７", ""},
			{"E3", "王五", "C3", "", "", "", "", ""},
		}
		for _, tc := range []struct {
			name string
			data []byte
			f    Format
		}{{"csv", csvText(rows), CSV}, {"xlsx", xlsxFile(t, rows), XLSX}} {
			t.Run(head[5]+"/"+tc.name, func(t *testing.T) {
				els, rep, err := Parse(tc.data, tc.f)
				if err != nil || !rep.OK() || len(els) != 3 {
					t.Fatalf("Parse: %v %+v", err, rep)
				}
				e := els[0]
				if e.HukouLocal || e.HomeDistrict != "420102" || e.ResidenceCity != "440300" || e.ResidenceDistrict != "440307" || e.ResidenceStreet != "440307001" {
					t.Fatalf("elder 1 = %+v", e.Elder)
				}
				if e := els[1]; e.ResidenceCity != "" || e.ResidenceDistrict != "440307" || e.ResidenceStreet != "" {
					t.Fatalf("elder 2 = %+v", e.Elder)
				}
				if e := els[2]; e.ResidenceCity+e.ResidenceDistrict+e.ResidenceStreet != "" {
					t.Fatalf("elder 3 = %+v", e.Elder)
				}
			})
		}
	}
}

// TestResidenceRefused: a residence that is no division code, or a
// street outside its district, is refused in words with its row and
// column, and nothing is imported.
func TestResidenceRefused(t *testing.T) {
	rows := [][]string{
		{"编号", "姓名", "卡号", "居住市", "居住区", "居住街道"},
		{"E1", "张三明", "C1", "440300", "440307", "440307001"},
		{"E2", "李四", "C2", "", "龙岗区", ""},
		{"E3", "王五", "C3", "440300", "440307", "440305002"},
		{"E4", "赵六", "C4", "4403", "", ""},
		{"E5", "钱七", "C5", "110000", "440307", ""},
	}
	els, rep, err := ParseCSV(csvText(rows))
	if err != nil || rep.OK() || els != nil {
		t.Fatalf("bad residences accepted: %v %+v %+v", err, rep, els)
	}
	at := problemsAt(rep)
	want := map[int]struct{ col, words string }{
		3: {"居住区", `residence district "龙岗区" is not a division code: write its 6-digit code, e.g. 440307`},
		4: {"居住街道", "residence street 440305002 is not in residence district 440307"},
		5: {"居住市", `residence city "4403" is not a division code`},
		6: {"居住区", "residence district 440307 is not in the province of residence city 110000"},
	}
	if rep.Count != len(want) || len(at[2]) != 0 {
		t.Fatalf("problems %+v, want one on each of rows 3-6", rep.Problems)
	}
	for row, w := range want {
		ps := at[row]
		if len(ps) != 1 || ps[0].Column != w.col || !strings.Contains(ps[0].Message, w.words) {
			t.Errorf("row %d: %+v, want column %s saying %q", row, ps, w.col, w.words)
		}
	}
}

// FuzzDivisionCode: an accepted code is digits only, of an accepted
// length, and reads back as itself.
func FuzzDivisionCode(f *testing.F) {
	for _, s := range []string{"440307", " 440307001 ", "４４０３", "龙岗区", "440307001002", "", "44030７"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		lens := []int{9, 12}
		code, err := divisionCode(v, lens)
		if err != nil {
			return
		}
		if len(code) != 9 && len(code) != 12 {
			t.Fatalf("%q gave %q of length %d", v, code, len(code))
		}
		for _, r := range code {
			if r < '0' || r > '9' {
				t.Fatalf("%q gave %q", v, code)
			}
		}
		if again, err := divisionCode(code, lens); err != nil || again != code {
			t.Fatalf("%q does not read back: %q %v", code, again, err)
		}
	})
}

// TestActiveColumn: 有效/active says whether the elder may eat on the
// roster (blank: yes); another word is a problem with its code.
func TestActiveColumn(t *testing.T) {
	els, rep, err := ParseCSV(csvText([][]string{{"编号", "姓名", "卡号", "有效"}, {"E1", "张三", "C1", "否"}, {"E2", "李四", "C2", ""}, {"E3", "王五", "C3", "是"}}))
	if err != nil || !rep.OK() || len(els) != 3 {
		t.Fatalf("%v %+v %+v", err, rep, els)
	}
	if els[0].Active || !els[1].Active || !els[2].Active {
		t.Fatalf("active = %v %v %v, want false true true", els[0].Active, els[1].Active, els[2].Active)
	}
	_, rep, _ = ParseCSV(csvText([][]string{{"编号", "姓名", "卡号", "active"}, {"E1", "张三", "C1", "perhaps"}}))
	if rep.Count != 1 || rep.Problems[0].Code != CodeYesNoBad || rep.Problems[0].Column != "active" {
		t.Fatalf("report %+v", rep)
	}
}
