package idcard

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf16"

	"github.com/eldergate/eldergate"
)

// Read response data (command 0x30 0x01): text length (2 bytes,
// big-endian), photo length (2 bytes, big-endian), the text (256 bytes),
// the photo (1024 bytes). The text is UCS-2 little-endian, each field
// padded with spaces (0x20 0x00):
//
//	offset size field
//	     0   30 name (15 characters)
//	    30    2 sex code (GB/T 2261.1: 1 male, 2 female, 0 unknown, 9 unstated)
//	    32    4 nation code (GB 3304, 2 digits)
//	    36   16 birth date YYYYMMDD
//	    52   70 address (35 characters)
//	   122   36 ID number (18 characters)
//	   158   30 issuing authority (15 characters)
//	   188   16 valid from YYYYMMDD
//	   204   16 valid to YYYYMMDD or "长期" (long-term)
//	   220   36 reserved
const (
	TextLen  = 256
	PhotoLen = 1024
)

type field struct{ off, size int }

// The text fields, in the order of the layout above.
func fields() [9]field {
	return [9]field{{0, 30}, {30, 2}, {32, 4}, {36, 16}, {52, 70}, {122, 36}, {158, 30}, {188, 16}, {204, 16}}
}

// ErrText is wrapped by errors about the text block.
var ErrText = errors.New("idcard: bad text block")

// Identity is what a resident ID card holds. It is personal data: its
// String and LogValue mask the name and number and omit the rest, so it
// can be logged by mistake without leaking; print fields explicitly only
// where the person is shown their own data.
type Identity struct {
	Name      string
	Sex       string // code: "1" male, "2" female
	Nation    string // code, e.g. "01" (汉)
	Birth     string // YYYYMMDD
	Address   string
	Number    string // 18-character ID number, the credential
	Authority string // issuing authority
	ValidFrom string // YYYYMMDD
	ValidTo   string // YYYYMMDD or 长期
	Photo     []byte // WLT photo as read (needs the licensed decoder)
}

// SexName returns 男, 女 or 未知.
func (id Identity) SexName() string {
	switch id.Sex {
	case "1":
		return "男"
	case "2":
		return "女"
	}
	return "未知"
}

// NationName returns the name of the nation code (GB 3304), or the code.
func (id Identity) NationName() string {
	return NationName(id.Nation)
}

// String masks the name and the number.
func (id Identity) String() string {
	return fmt.Sprintf("{Name:%s Number:%s}", eldergate.MaskName(id.Name), eldergate.MaskID(id.Number))
}

// LogValue implements slog.LogValuer with masked values only.
func (id Identity) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", eldergate.MaskName(id.Name)), slog.String("number", eldergate.MaskID(id.Number)))
}

// ParseReadData parses the data of a read response (command 0x30 0x01 or
// 0x30 0x10) and checks the ID number (GB 11643). Errors do not contain
// personal data.
func ParseReadData(data []byte) (Identity, error) {
	if len(data) < 4 {
		return Identity{}, fmt.Errorf("%w: %d bytes, want at least 4", ErrText, len(data))
	}
	tl := int(data[0])<<8 | int(data[1])
	pl := int(data[2])<<8 | int(data[3])
	if tl < TextLen {
		return Identity{}, fmt.Errorf("%w: text length %d, want %d", ErrText, tl, TextLen)
	}
	if len(data) < 4+tl+pl {
		return Identity{}, fmt.Errorf("%w: lengths %d+%d exceed the %d data bytes", ErrText, tl, pl, len(data)-4)
	}
	id, err := ParseText(data[4 : 4+tl])
	if err != nil {
		return Identity{}, err
	}
	id.Photo = append([]byte(nil), data[4+tl:4+tl+pl]...)
	return id, nil
}

// ParseText parses the 256-byte text block.
func ParseText(text []byte) (Identity, error) {
	if len(text) < TextLen {
		return Identity{}, fmt.Errorf("%w: %d bytes, want %d", ErrText, len(text), TextLen)
	}
	var v [9]string
	for i, f := range fields() {
		v[i] = decodeUCS2(text[f.off : f.off+f.size])
	}
	id := Identity{Name: v[0], Sex: v[1], Nation: v[2], Birth: v[3], Address: v[4], Number: v[5], Authority: v[6], ValidFrom: v[7], ValidTo: v[8]}
	num, err := eldergate.NormalizeResidentID(id.Number)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrText, err)
	}
	id.Number = num
	if id.Name == "" {
		return Identity{}, fmt.Errorf("%w: no name", ErrText)
	}
	return id, nil
}

func decodeUCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return strings.Trim(string(utf16.Decode(u)), " \x00\u3000")
}

// EncodeText returns the 256-byte text block of id, fields padded with
// spaces and cut to their size; simulators and tests use it.
func EncodeText(id Identity) []byte {
	b := make([]byte, TextLen)
	for i := 0; i < TextLen; i += 2 {
		b[i] = ' '
	}
	vals := [9]string{id.Name, id.Sex, id.Nation, id.Birth, id.Address, id.Number, id.Authority, id.ValidFrom, id.ValidTo}
	for i, f := range fields() {
		u := utf16.Encode([]rune(vals[i]))
		for j := 0; j < len(u) && 2*j+1 < f.size; j++ {
			b[f.off+2*j] = byte(u[j])
			b[f.off+2*j+1] = byte(u[j] >> 8)
		}
	}
	return b
}

// EncodeReadData returns the data of a read response for id: lengths,
// text and photo (padded or cut to PhotoLen).
func EncodeReadData(id Identity) []byte {
	b := []byte{TextLen >> 8, TextLen & 0xFF, PhotoLen >> 8, PhotoLen & 0xFF}
	b = append(b, EncodeText(id)...)
	photo := make([]byte, PhotoLen)
	copy(photo, id.Photo)
	return append(b, photo...)
}

// NationName returns the name of a GB 3304 nation code ("01" -> "汉"),
// or the code itself when unknown.
func NationName(code string) string {
	names := [...]string{"汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜",
		"满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳",
		"佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
		"达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
		"塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔",
		"独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺"}
	switch code {
	case "97":
		return "其他"
	case "98":
		return "外国血统中国籍人士"
	}
	if len(code) == 2 && code[0] >= '0' && code[0] <= '9' && code[1] >= '0' && code[1] <= '9' {
		if n := int(code[0]-'0')*10 + int(code[1]-'0'); n >= 1 && n <= len(names) {
			return names[n-1]
		}
	}
	return code
}
