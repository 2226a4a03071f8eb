package voice

import (
	"strings"
	"testing"
)

func TestMoneyWords(t *testing.T) {
	cases := []struct {
		fen        int64
		cn, hk, en string
	}{
		{0, "零元", "零蚊", "zero yuan"},
		{5, "五分", "五仙", "five fen"},
		{50, "五角", "五毫", "fifty fen"},
		{100, "一元", "一蚊", "one yuan"},
		{200, "两元", "兩蚊", "two yuan"},
		{220, "两元两角", "兩蚊兩毫", "two yuan twenty fen"},
		{350, "三元五角", "三蚊五毫", "three yuan fifty fen"},
		{1205, "十二元零五分", "十二蚊零五仙", "twelve yuan five fen"},
		{1250, "十二元五角", "十二蚊五毫", "twelve yuan fifty fen"},
		{2000, "二十元", "二十蚊", "twenty yuan"},
		{10000, "一百元", "一百蚊", "one hundred yuan"},
		{11000, "一百一十元", "一百一十蚊", "one hundred ten yuan"},
		{100500, "一千零五元", "一千零五蚊", "one thousand five yuan"},
		{1000000, "一万元", "一萬蚊", "ten thousand yuan"},
		{10000000, "十万元", "十萬蚊", "one hundred thousand yuan"},
		{10100000, "十万一千元", "十萬一千蚊", "one hundred one thousand yuan"},
		{10010000, "十万零一百元", "十萬零一百蚊", "one hundred thousand one hundred yuan"},
		{MaxFen, "九十九万九千九百九十九元九角九分", "九十九萬九千九百九十九蚊九毫九仙", "nine hundred ninety-nine thousand nine hundred ninety-nine yuan ninety-nine fen"},
	}
	for _, c := range cases {
		for lang, want := range map[Lang]string{LangZhCN: c.cn, LangZhHK: c.hk, LangEn: c.en} {
			got, err := MoneyWords(c.fen, lang)
			if err != nil || got != want {
				t.Errorf("MoneyWords(%d, %s) = %q, %v; want %q", c.fen, lang, got, err, want)
			}
		}
	}
	for _, fen := range []int64{-1, MaxFen + 1} {
		if _, err := MoneyWords(fen, LangZhCN); err == nil {
			t.Errorf("MoneyWords(%d): no error", fen)
		}
	}
	if _, err := MoneyWords(1, "fr"); err == nil {
		t.Error("MoneyWords in fr: no error")
	}
}

func TestText(t *testing.T) {
	cases := []struct {
		p    Phrase
		want string
	}{
		{Phrase{Lang: LangZhCN, Kind: KindApproved, PayFen: 350}, "刷卡成功，应付三元五角"},
		{Phrase{Lang: LangZhHK, Kind: KindApproved, PayFen: 350}, "拍卡成功，應付三蚊五毫"},
		{Phrase{Lang: LangEn, Kind: KindApproved, PayFen: 350}, "Approved. Please pay three yuan fifty fen."},
		{Phrase{Lang: LangZhCN, Kind: KindFullPay, PayFen: 1500}, "请全额付款，应付十五元"},
		{Phrase{Lang: LangZhCN, Kind: KindRefused, Reason: "card_lost"}, "刷卡未通过，此卡已挂失，请联系工作人员"},
		{Phrase{Lang: LangZhCN, Kind: KindRefused, Reason: "no_such_code"}, "刷卡未通过，请联系工作人员"},
		{Phrase{Lang: LangEn, Kind: KindRefused, Reason: "already_served"}, "Refused. Already served this meal."},
		{Phrase{Lang: LangZhHK, Kind: KindComing}, "職員已收到，即將到達"},
		// The quota left, after the result, as the kiosk shows it.
		{Phrase{Lang: LangZhCN, Kind: KindApproved, PayFen: 400, Left: Left{Period: PeriodMonth, Fen: 59200, Subsidy: true}}, "刷卡成功，应付四元，本月补贴余额五百九十二元"},
		{Phrase{Lang: LangZhHK, Kind: KindApproved, PayFen: 0, Left: Left{Period: PeriodWeek, Count: 2, Meals: true}}, "拍卡成功，應付零蚊，本週還可享受資助兩次"},
		{Phrase{Lang: LangEn, Kind: KindApproved, PayFen: 700, Left: Left{Period: PeriodMonth, Count: 19, Fen: 11250, Meals: true, Subsidy: true}}, "Approved. Please pay seven yuan. Left this month: nineteen meals and one hundred twelve yuan fifty fen."},
		{Phrase{Lang: LangEn, Kind: KindRefused, Reason: "already_served", Left: Left{Period: PeriodWeek, Count: 1, Meals: true}}, "Refused. Already served this meal. Subsidised meals left this week: one."},
		{Phrase{Lang: LangZhCN, Kind: KindRefused, Reason: "no_such_code", Left: Left{Period: PeriodMonth, Count: 0, Meals: true}}, "刷卡未通过，请联系工作人员，本月还可享受补贴零次"},
	}
	for _, c := range cases {
		got, err := Text(c.p)
		if err != nil || got != c.want {
			t.Errorf("Text(%+v) = %q, %v; want %q", c.p, got, err, c.want)
		}
	}
	// Every kind has a text in every language, with nothing left to fill.
	for _, l := range Langs {
		for _, k := range Kinds {
			got, err := Text(Phrase{Lang: l, Kind: k, PayFen: 100, Reason: "card_lost"})
			if err != nil || got == "" || strings.Contains(got, "{") {
				t.Errorf("Text(%s, %s) = %q, %v", l, k, got, err)
			}
		}
		if len(texts[l].reasons) != len(texts[LangZhCN].reasons) {
			t.Errorf("%s has %d reasons, zh-CN %d", l, len(texts[l].reasons), len(texts[LangZhCN].reasons))
		}
	}
	for _, p := range []Phrase{{Lang: "fr", Kind: KindDone}, {Lang: LangEn, Kind: "sing"}, {Lang: LangEn, Kind: KindApproved, PayFen: -1},
		{Lang: LangEn, Kind: KindFullPay, Left: Left{Period: PeriodMonth, Fen: 1, Subsidy: true}},
		{Lang: LangEn, Kind: KindApproved, Left: Left{Period: "day", Count: 1, Meals: true}},
		{Lang: LangEn, Kind: KindApproved, Left: Left{Period: PeriodWeek}},
		{Lang: LangEn, Kind: KindApproved, Left: Left{Period: PeriodWeek, Count: MaxCount + 1, Meals: true}}} {
		if _, err := Text(p); err == nil {
			t.Errorf("Text(%+v): no error", p)
		}
	}
}
