package voice

import (
	"encoding/binary"
	"net/url"
	"testing"
)

// pcm16 is a mono 16-bit WAV of the samples.
func pcm16(rate int, samples []int16) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*2))
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "LIST\x03\x00\x00\x00abc\x00"...) // odd-sized chunk, padded
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(2*len(samples)))
	for _, s := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestParseWAV(t *testing.T) {
	samples := make([]int16, 22050)
	for i := range samples {
		if i%2 == 0 {
			samples[i] = 16384
		} else {
			samples[i] = -16384
		}
	}
	w, err := ParseWAV(pcm16(22050, samples))
	if err != nil {
		t.Fatal(err)
	}
	if w.SampleRate != 22050 || w.Channels != 1 || w.Bits != 16 || len(w.Data) != 44100 || w.Duration().Seconds() != 1 {
		t.Errorf("%+v %s", w.SampleRate, w.Duration())
	}
	if r := w.RMS(); r != 0.5 {
		t.Errorf("RMS %v, want 0.5", r)
	}
	silent, _ := ParseWAV(pcm16(16000, make([]int16, 100)))
	if silent.RMS() != 0 {
		t.Error("silence not silent")
	}
	// espeak-ng writing to a pipe leaves a placeholder size: clipped.
	b := pcm16(8000, []int16{1, 2, 3})
	binary.LittleEndian.PutUint32(b[len(b)-10:], 0x7fffffff)
	if w, err := ParseWAV(b); err != nil || len(w.Data) != 6 {
		t.Errorf("placeholder size: %d bytes, %v", len(w.Data), err)
	}
	bad := map[string][]byte{
		"empty":    nil,
		"not riff": []byte("RIFX\x00\x00\x00\x00WAVE"),
		"no data":  pcm16(8000, nil)[:len(pcm16(8000, nil))-8],
		"float":    func() []byte { b := pcm16(8000, []int16{1}); b[20] = 3; return b }(),
		"no rate":  func() []byte { b := pcm16(8000, []int16{1}); copy(b[24:28], []byte{0, 0, 0, 0}); return b }(),
	}
	for name, b := range bad {
		if _, err := ParseWAV(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzParseWAV(f *testing.F) {
	f.Add(pcm16(22050, []int16{0, 1000, -1000}))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x28\x00\x00\x00\xfe\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWAV(b)
		if err != nil {
			return
		}
		if len(w.Data) > len(b) || w.SampleRate <= 0 || w.Channels <= 0 {
			t.Fatalf("accepted %+v", w)
		}
		_ = w.Duration()
		if r := w.RMS(); r < 0 || r > 1.0001 {
			t.Fatalf("RMS %v", r)
		}
	})
}

func TestParseQuery(t *testing.T) {
	good := map[string]Phrase{
		"lang=zh-CN&kind=approved&pay=350":      {Lang: LangZhCN, Kind: KindApproved, PayFen: 350},
		"lang=en&kind=refused&reason=card_lost": {Lang: LangEn, Kind: KindRefused, Reason: "card_lost"},
		"lang=en&kind=refused":                  {Lang: LangEn, Kind: KindRefused},
		"lang=zh-HK&kind=calling&pay=7&x=1":     {Lang: LangZhHK, Kind: KindCalling}, // pay ignored
		"lang=en&kind=manual&pay=0":             {Lang: LangEn, Kind: KindManual},
		"lang=zh-CN&kind=approved&pay=400&left=month&left_fen=59200": {Lang: LangZhCN, Kind: KindApproved, PayFen: 400,
			Left: Left{Period: PeriodMonth, Fen: 59200, Subsidy: true}},
		"lang=en&kind=refused&reason=already_served&left=week&left_count=0&left_fen=10000": {Lang: LangEn, Kind: KindRefused, Reason: "already_served",
			Left: Left{Period: PeriodWeek, Fen: 10000, Meals: true, Subsidy: true}},
		"lang=en&kind=full_pay&pay=1&left=week&left_count=3": {Lang: LangEn, Kind: KindFullPay, PayFen: 1},  // not read with full pay
		"lang=en&kind=approved&pay=1&left_count=3":           {Lang: LangEn, Kind: KindApproved, PayFen: 1}, // counts only with left
	}
	for q, want := range good {
		v, _ := url.ParseQuery(q)
		got, err := ParseQuery(v)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", q, got, err, want)
		}
	}
	for _, q := range []string{"", "lang=en", "kind=done", "lang=EN&kind=done", "lang=en&kind=approved", "lang=en&kind=approved&pay=3.5",
		"lang=en&kind=approved&pay=+35", "lang=en&kind=approved&pay=100000000", "lang=en&kind=approved&pay=1&pay=2",
		"lang=en&kind=refused&reason=Card", "lang=en&kind=done&lang=zh-CN",
		"lang=en&kind=approved&pay=1&left=day&left_count=1", "lang=en&kind=approved&pay=1&left=week",
		"lang=en&kind=approved&pay=1&left=week&left_count=10001", "lang=en&kind=approved&pay=1&left=week&left_fen=100000000",
		"lang=en&kind=approved&pay=1&left=week&left_count=-1", "lang=en&kind=approved&pay=1&left=week&left_count=1&left_count=2"} {
		v, _ := url.ParseQuery(q)
		if p, err := ParseQuery(v); err == nil || !IsBadQuery(err) {
			t.Errorf("%s: %+v, %v", q, p, err)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add("lang=zh-CN&kind=approved&pay=350")
	f.Add("lang=en&kind=refused&reason=card_lost")
	f.Add("lang=zh-HK&kind=coming")
	f.Add("lang=zh-HK&kind=approved&pay=0&left=week&left_count=2&left_fen=300")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := ParseQuery(v)
		if err != nil {
			if !IsBadQuery(err) {
				t.Fatalf("error not marked bad query: %v", err)
			}
			return
		}
		text, err := Text(p)
		if err != nil || text == "" {
			t.Fatalf("accepted %+v but Text: %q, %v", p, text, err)
		}
	})
}
