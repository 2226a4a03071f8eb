package idcard

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf16"
)

// testIdentity uses the example number of GB 11643-1999 and an invented
// person.
func testIdentity() Identity {
	return Identity{
		Name: "张三丰", Sex: "1", Nation: "01", Birth: "19491231",
		Address: "北京市东城区景山前街4号", Number: "11010519491231002X",
		Authority: "北京市公安局东城分局", ValidFrom: "20150101", ValidTo: "长期",
	}
}

// handText builds the 256-byte text block field by field, independently
// of EncodeText, following the layout of text.go (offsets 0, 30, 32, 36,
// 52, 122, 158, 188, 204; sizes 30, 2, 4, 16, 70, 36, 30, 16, 16; 36
// reserved), UCS-2 LE padded with 0x20 0x00.
func handText(fields ...string) []byte {
	sizes := []int{30, 2, 4, 16, 70, 36, 30, 16, 16, 36}
	var b []byte
	for i, size := range sizes {
		var f []byte
		if i < len(fields) {
			for _, u := range utf16.Encode([]rune(fields[i])) {
				f = append(f, byte(u), byte(u>>8))
			}
		}
		for len(f) < size {
			f = append(f, 0x20, 0x00)
		}
		b = append(b, f[:size]...)
	}
	return b
}

func TestParseText(t *testing.T) {
	want := testIdentity()
	text := handText(want.Name, want.Sex, want.Nation, want.Birth, want.Address, want.Number, want.Authority, want.ValidFrom, want.ValidTo)
	if len(text) != TextLen {
		t.Fatalf("hand-built text is %d bytes", len(text))
	}
	// The name 张三丰 starts 20 5F 09 4E 30 4E (U+5F20 U+4E09 U+4E30).
	if !bytes.HasPrefix(text, []byte{0x20, 0x5F, 0x09, 0x4E, 0x30, 0x4E, 0x20, 0x00}) {
		t.Fatalf("text starts % X", text[:8])
	}
	if enc := EncodeText(want); !bytes.Equal(enc, text) {
		t.Fatalf("EncodeText differs from the hand-built block:\n% X\n% X", enc, text)
	}
	got, err := ParseText(text)
	if err != nil {
		t.Fatal(err)
	}
	got.Photo = nil
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		t.Fatalf("ParseText =\n%#v\nwant\n%#v", got, want)
	}
	if got.SexName() != "男" || got.NationName() != "汉" {
		t.Fatalf("sex %s nation %s", got.SexName(), got.NationName())
	}
	// lower-case x and NUL padding are accepted
	text2 := handText("李四", "2", "08", "19900101", "广西", "11010519491231002x")
	copy(text2[4:30], make([]byte, 26))
	got2, err := ParseText(text2)
	if err != nil || got2.Name != "李四" || got2.Number != "11010519491231002X" || got2.SexName() != "女" || got2.NationName() != "壮" {
		t.Fatalf("ParseText = %#v, %v", got2, err)
	}
}

func TestParseTextRejects(t *testing.T) {
	tests := map[string][]byte{
		"short":             handText("张三")[:200],
		"bad check char":    handText("张三", "1", "01", "19491231", "x", "110105194912310021"),
		"no number":         handText("张三", "1", "01", "19491231", "x", ""),
		"no name":           handText("", "1", "01", "19491231", "x", "11010519491231002X"),
		"letters in number": handText("张三", "1", "01", "19491231", "x", "1101051949123100AX"),
	}
	for name, text := range tests {
		if _, err := ParseText(text); !errors.Is(err, ErrText) {
			t.Errorf("%s: err = %v, want ErrText", name, err)
		} else if strings.Contains(err.Error(), "1101051949") || strings.Contains(err.Error(), "张") {
			t.Errorf("%s: error %q leaks personal data", name, err)
		}
	}
}

func TestParseReadData(t *testing.T) {
	id := testIdentity()
	id.Photo = bytes.Repeat([]byte{0x57, 0x4C}, PhotoLen/2)
	data := EncodeReadData(id)
	if len(data) != 4+TextLen+PhotoLen || !bytes.Equal(data[:4], []byte{0x01, 0x00, 0x04, 0x00}) {
		t.Fatalf("read data head % X, len %d", data[:4], len(data))
	}
	got, err := ParseReadData(data)
	if err != nil || got.Number != id.Number || !bytes.Equal(got.Photo, id.Photo) {
		t.Fatalf("ParseReadData = %v, %v", got, err)
	}
	for name, d := range map[string][]byte{
		"empty":          nil,
		"text too short": {0x00, 0x80, 0x00, 0x00},
		"truncated":      data[:500],
		"photo too long": append([]byte{0x01, 0x00, 0x08, 0x00}, data[4:]...),
	} {
		if _, err := ParseReadData(d); !errors.Is(err, ErrText) {
			t.Errorf("%s: err = %v, want ErrText", name, err)
		}
	}
}

func TestIdentityIsMasked(t *testing.T) {
	id := testIdentity()
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "identity", id)
	s := buf.String() + fmt.Sprint(id) + fmt.Sprintf("%+v", id)
	for _, secret := range []string{"张三丰", "11010519491231002X", "景山", "19491231"} {
		if strings.Contains(s, secret) {
			t.Fatalf("%q leaks %q", s, secret)
		}
	}
	if !strings.Contains(s, "110105********002X") || !strings.Contains(s, "张*丰") {
		t.Fatalf("%q lacks the masked values", s)
	}
}

func TestNationName(t *testing.T) {
	for code, want := range map[string]string{"01": "汉", "03": "回", "56": "基诺", "97": "其他", "98": "外国血统中国籍人士", "57": "57", "00": "00", "1": "1", "ab": "ab"} {
		if got := NationName(code); got != want {
			t.Errorf("NationName(%s) = %s, want %s", code, got, want)
		}
	}
}

// FuzzParseReadData: never panics; an identity returned has a valid ID
// number.
func FuzzParseReadData(f *testing.F) {
	f.Add(EncodeReadData(testIdentity()))
	f.Add([]byte{0x01, 0x00, 0x00, 0x00})
	f.Add(handText("张三", "1", "01", "19491231", "x", "11010519491231002X"))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := ParseReadData(data)
		if err != nil {
			return
		}
		if len(id.Number) != 18 || id.Name == "" {
			t.Fatalf("accepted %v", id)
		}
	})
}
